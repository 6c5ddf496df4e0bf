"""Factories and a small Stockholm-shaped registry for the deadline and outbox tests."""

from dataclasses import dataclass

import factory
from viewflow.workflow.models import Process

from coordination.models import Area, Organisation
from tests.factories import AreaFactory, MembershipFactory, OrganisationFactory, UserFactory


class ProcessFactory(factory.django.DjangoModelFactory):
    """A bare viewflow process: the deadline machinery needs no particular flow."""

    class Meta:
        model = Process

    # Unknown flows load as None: case links fall back to the site root.
    flow_class = "workflows/no_such_module.NoFlow"


@dataclass
class Registry:
    stockholm: Area
    soder: Area
    huddinge: Area
    region: Area
    bistand: Organisation  # Södermalm biståndsenhet (kommun); the district's KSA
    hsv: Organisation  # Södermalm kommunal hälso- och sjukvård (kommun)
    sdf: Organisation  # Södermalm stadsdelsförvaltning (kommun), where the MAS sits
    vardcentral: Organisation  # Rosenlunds vårdcentral (region); the district's GSA
    ward: Organisation  # Södersjukhuset avd 53 (region), in the region's area
    huddinge_bistand: Organisation
    handlaggare: object
    ksa: object
    mas: object
    huddinge_mas: object
    vardkontakt: object
    nurse: object


def build_registry() -> Registry:
    stockholm = AreaFactory(name="Stockholms stad", kind=Area.Kind.KOMMUN)
    soder = AreaFactory(name="Södermalm", kind=Area.Kind.STADSDELSOMRADE, parent=stockholm)
    huddinge = AreaFactory(name="Huddinge", kind=Area.Kind.KOMMUN)
    region = AreaFactory(name="Region Stockholm", kind=Area.Kind.REGION)
    sdf = OrganisationFactory(
        name="Södermalm stadsdelsförvaltning",
        area=soder,
        kind=Organisation.Kind.STADSDELSFORVALTNING,
        functional_mailbox="",
    )
    bistand = OrganisationFactory(
        name="Södermalm biståndsenhet äldre",
        area=soder,
        functional_mailbox="bistand.soder@example.se",
    )
    hsv = OrganisationFactory(
        name="Södermalm kommunal hälso- och sjukvård",
        area=soder,
        kind=Organisation.Kind.KOMMUNAL_HSV,
        functional_mailbox="hsv.soder@example.se",
    )
    vardcentral = OrganisationFactory(
        name="Rosenlunds vårdcentral",
        area=soder,
        huvudman="REGION",
        kind=Organisation.Kind.VARDCENTRAL,
        functional_mailbox="rosenlund@example.se",
    )
    ward = OrganisationFactory(
        name="Södersjukhuset avd 53 medicin",
        area=region,
        huvudman="REGION",
        kind=Organisation.Kind.SJUKHUSAVDELNING,
        functional_mailbox="avd53@example.se",
    )
    huddinge_bistand = OrganisationFactory(
        name="Huddinge biståndsenhet äldre",
        area=huddinge,
        functional_mailbox="bistand.huddinge@example.se",
    )
    soder.ksa, soder.gsa = bistand, vardcentral
    soder.save()
    huddinge.ksa = huddinge_bistand
    huddinge.save()

    handlaggare = UserFactory(username="handlaggare.sodermalm")
    ksa = UserFactory(username="ksa.sodermalm")
    mas = UserFactory(username="mas.sodermalm")
    huddinge_mas = UserFactory(username="mas.huddinge")
    vardkontakt = UserFactory(username="vardkontakt.rosenlund")
    nurse = UserFactory(username="avd53.sos")
    MembershipFactory(user=handlaggare, organisation=bistand, role="HANDLAGGARE")
    MembershipFactory(user=ksa, organisation=bistand, role="KSA")
    MembershipFactory(user=mas, organisation=sdf, role="MAS")
    MembershipFactory(
        user=huddinge_mas,
        organisation=OrganisationFactory(name="Huddinge socialförvaltningen", area=huddinge),
        role="MAS",
    )
    MembershipFactory(user=vardkontakt, organisation=vardcentral, role="FAST_VARDKONTAKT")
    MembershipFactory(user=nurse, organisation=ward, role="SJUKSKOTERSKA")
    return Registry(
        stockholm=stockholm,
        soder=soder,
        huddinge=huddinge,
        region=region,
        bistand=bistand,
        hsv=hsv,
        sdf=sdf,
        vardcentral=vardcentral,
        ward=ward,
        huddinge_bistand=huddinge_bistand,
        handlaggare=handlaggare,
        ksa=ksa,
        mas=mas,
        huddinge_mas=huddinge_mas,
        vardkontakt=vardkontakt,
        nurse=nurse,
    )
