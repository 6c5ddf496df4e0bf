"""The demo data as a two-kommun world: Södermalm (side A) and Huddinge (side B).

Each side has a discharge, a SIP and a deviation whose organisations all belong to that
side's kommun, so every actor of one side is an outsider to the other side's objects.
"""

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import get_resolver

from coordination.models import Area, Membership, Organisation
from notifications.models import OutboundEmail
from workflows.deviations.models import Deviation
from workflows.discharge.models import DischargeProcess
from workflows.sip.models import Invitation, SipProcess

# Actor name -> demo username (None: anonymous). "staff" is the demo superuser, who
# manages the registry but holds no membership.
ACTORS = {
    "anonymous": None,
    "nurse_a": "avd53.sos",
    "handlaggare_a": "handlaggare.sodermalm",
    "vardkontakt_a": "vardkontakt.rosenlund",
    "mas_a": "mas.sodermalm",
    "mas_b": "mas.huddinge",
    "handlaggare_b": "handlaggare.huddinge",
    "vardkontakt_b": "vardkontakt.flemingsberg",
    # Made by ``load``: the MAS of another region, and a former nurse of side A's ward
    # whose membership is no longer active.
    "region_mas": "mas.region.annan",
    "inactive_a": "f.d.avd53.sos",
    "staff": "admin",
}
SIDE_OF_ACTOR = {
    "nurse_a": "a",
    "handlaggare_a": "a",
    "vardkontakt_a": "a",
    "mas_a": "a",
    "mas_b": "b",
    "handlaggare_b": "b",
    "vardkontakt_b": "b",
}
KOMMUN = {"a": "Stockholms stad", "b": "Huddinge"}


def kommun_of(organisation: Organisation) -> str:
    kommun = organisation.area.kommun
    return kommun.name if kommun else ""


def _discharge_orgs(process):
    return [process.ward, *[row.organisation for row in process.unit_rows.all()]]


def _sip_orgs(sip):
    orgs = [sip.initiating_organisation, *sip.participants.all()]
    orgs += [i.organisation for i in Invitation.objects.filter(meeting__sip=sip) if i.organisation]
    return orgs


def _only_in(orgs, side) -> bool:
    return all(kommun_of(org) == KOMMUN[side] for org in orgs)


def _add_outsiders(User):
    """A region MAS of another region (an overseer who is party to nothing here) and a
    nurse of side A's ward whose membership ended."""
    other_region = Area.objects.create(name="Region Annan", kind=Area.Kind.REGION)
    kommun = Area.objects.create(name="Annan kommun", kind=Area.Kind.KOMMUN, parent=other_region)
    hsf = Organisation.objects.create(
        name="Region Annan, hälso- och sjukvårdsförvaltningen",
        huvudman="REGION",
        kind=Organisation.Kind.OTHER,
        area=kommun,
    )
    mas = User.objects.create_user("mas.region.annan", password="x")
    Membership.objects.create(user=mas, organisation=hsf, role=Membership.Role.MAS)
    ward = Organisation.objects.get(name__startswith="Södersjukhuset avd 53")
    former = User.objects.create_user("f.d.avd53.sos", password="x")
    Membership.objects.create(
        user=former, organisation=ward, role=Membership.Role.SJUKSKOTERSKA, is_active=False
    )


def load():
    """Load the demo data and pick each side's objects."""
    call_command("load_demo_data", verbosity=0)
    assert get_resolver().url_patterns  # viewflow nodes learn their namespace here
    w = SimpleNamespace(sides={})
    User = get_user_model()
    _add_outsiders(User)
    w.users = {name: User.objects.get(username=u) for name, u in ACTORS.items() if u}
    for side in ("a", "b"):
        s = SimpleNamespace()
        discharges = [
            p for p in DischargeProcess.objects.order_by("pk") if _only_in(_discharge_orgs(p), side)
        ]
        sips = [p for p in SipProcess.objects.order_by("pk") if _only_in(_sip_orgs(p), side)]
        s.discharges = discharges
        s.sips = sips
        # The richest case of each flow: the most organisations take part.
        s.discharge = max(discharges, key=lambda p: (p.unit_rows.count(), p.task_set.count()))
        s.sip = max(sips, key=lambda p: (p.plan_versions.count(), p.task_set.count()))
        s.deviation = next(
            d
            for d in Deviation.objects.order_by("pk")
            if _only_in([d.reporting_organisation, d.receiving_organisation], side)
        )
        s.invitation = Invitation.objects.filter(meeting__sip__in=sips).order_by("pk").first()
        s.plan = (
            s.sip.plan_versions.order_by("number").first()
            if hasattr(s.sip, "plan_versions")
            else None
        )
        s.email = (
            OutboundEmail.objects.filter(process__in=[*discharges, *sips]).order_by("pk").first()
        )
        w.sides[side] = s
    return w


class DemoWorld:
    """Mixin for a Django ``TestCase``: the demo world loaded once per class."""

    @classmethod
    def setUpTestData(cls):
        cls.w = load()
        for side in cls.w.sides.values():
            if side.invitation is not None:
                side.invitation.sip_pk = side.invitation.meeting.sip_id
        cls.markers = {}
        for key, side in cls.w.sides.items():
            individuals = {p.individual for p in [*side.discharges, *side.sips]}
            cls.markers[key] = {i.personal_identity_number for i in individuals}

    def client_for(self, actor, **kwargs):
        from django.test import Client

        client = Client(**kwargs)
        if ACTORS[actor]:
            client.force_login(self.w.users[actor])
        return client
