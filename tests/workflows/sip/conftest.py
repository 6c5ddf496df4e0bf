import datetime as dt
from types import SimpleNamespace

import pytest

from coordination.models import Membership
from coordination.personnummer import make_test_number
from tests.factories import (
    AreaFactory,
    IndividualFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)


@pytest.fixture
def world(db):
    """Södermalm-like set-up: a kommun unit, a vårdcentral, a hemtjänst whose
    reachability is unknown, a MAS of the kommun, and an outsider from another kommun."""
    stockholm = AreaFactory(name="Stockholms stad")
    soder = AreaFactory(name="Södermalm", kind="STADSDELSOMRADE", parent=stockholm)
    huddinge = AreaFactory(name="Huddinge")
    region = AreaFactory(name="Region Stockholm", kind="REGION")
    bistand = OrganisationFactory(name="Södermalm biståndsenhet äldre", area=soder)
    sdf = OrganisationFactory(
        name="Södermalm stadsdelsförvaltning", area=soder, kind="STADSDELSFORVALTNING"
    )
    vc = OrganisationFactory(
        name="Rosenlunds vårdcentral", area=soder, huvudman="REGION", kind="VARDCENTRAL"
    )
    hemtjanst = OrganisationFactory(
        name="Attendo hemtjänst Södermalm",
        area=soder,
        huvudman="PRIVATE",
        acting_for="KOMMUN",
        kind="HEMTJANST",
        reachability="UNKNOWN",
        functional_mailbox="attendo@example.se",
    )
    outside = OrganisationFactory(name="Huddinge biståndsenhet äldre", area=huddinge)
    psyk = OrganisationFactory(
        name="Psykiatri öppenvård", area=region, huvudman="REGION", kind="PSYKIATRI_OPPENVARD"
    )

    def member(username, organisation, role=Membership.Role.HANDLAGGARE, first="Test"):
        user = UserFactory(username=username, first_name=first, last_name=username.title())
        MembershipFactory(user=user, organisation=organisation, role=role)
        return user

    individual = IndividualFactory(
        given_name="Astrid", family_name="Johansson", email="astrid@example.se"
    )
    child = IndividualFactory(
        given_name="Elsa",
        family_name="Lindqvist",
        personal_identity_number=make_test_number(dt.date(2014, 5, 22), 984),
    )
    return SimpleNamespace(
        stockholm=stockholm,
        soder=soder,
        bistand=bistand,
        sdf=sdf,
        vc=vc,
        hemtjanst=hemtjanst,
        outside=outside,
        psyk=psyk,
        handlaggare=member("handlaggare", bistand, first="Karin"),
        colleague=member("kollega", bistand, first="Kalle"),
        vardkontakt=member("vardkontakt", vc, Membership.Role.FAST_VARDKONTAKT, first="Johan"),
        hemtjanst_user=member("hemtjanst", hemtjanst, first="Hanna"),
        mas=member("mas", sdf, Membership.Role.MAS, first="Eva"),
        mas_huddinge=member("mashuddinge", outside, Membership.Role.MAS, first="Anna"),
        outsider=member("outsider", outside, first="Ali"),
        individual=individual,
        child=child,
        today=dt.date.today(),
    )
