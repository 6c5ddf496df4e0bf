"""A two-kommun world for the deviation tests, and helpers to build cases."""

import datetime as dt
from types import SimpleNamespace

import factory
from django.utils import timezone

from coordination.models import Area, Organisation
from tests.factories import AreaFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.notifications.factories import ProcessFactory
from workflows.deviations.models import Deviation, DeviationEvent
from workflows.models import Deadline


def member(organisation, role="HANDLAGGARE", username=None, **fields):
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs, **fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def build_world():
    w = SimpleNamespace()
    w.stockholm = AreaFactory(name="Stockholms stad", kind=Area.Kind.KOMMUN)
    w.soder = AreaFactory(name="Södermalm", kind=Area.Kind.STADSDELSOMRADE, parent=w.stockholm)
    w.huddinge = AreaFactory(name="Huddinge", kind=Area.Kind.KOMMUN)
    w.region = AreaFactory(name="Region Stockholm", kind=Area.Kind.REGION)
    w.sdf = OrganisationFactory(
        name="Södermalm stadsdelsförvaltning",
        area=w.soder,
        kind=Organisation.Kind.STADSDELSFORVALTNING,
        functional_mailbox="",
    )
    w.bistand = OrganisationFactory(
        name="Södermalm biståndsenhet äldre", area=w.soder, functional_mailbox="bistand@example.se"
    )
    w.ward = OrganisationFactory(
        name="Södersjukhuset avd 53 medicin",
        area=w.soder,
        huvudman="REGION",
        kind=Organisation.Kind.SJUKHUSAVDELNING,
        functional_mailbox="avd53@example.se",
    )
    w.vardcentral = OrganisationFactory(
        name="Rosenlunds vårdcentral",
        area=w.soder,
        huvudman="REGION",
        kind=Organisation.Kind.VARDCENTRAL,
        functional_mailbox="rosenlund@example.se",
        reachability=Organisation.Reachability.UNKNOWN,
    )
    w.h_bistand = OrganisationFactory(
        name="Huddinge biståndsenhet äldre", area=w.huddinge, functional_mailbox="hb@example.se"
    )
    w.h_ward = OrganisationFactory(
        name="Karolinska Huddinge avd M44",
        area=w.huddinge,
        huvudman="REGION",
        kind=Organisation.Kind.SJUKHUSAVDELNING,
        functional_mailbox="m44@example.se",
    )
    w.h_admin = OrganisationFactory(
        name="Huddinge kommun, socialförvaltningen",
        area=w.huddinge,
        kind=Organisation.Kind.KOMMUNLEDNING,
        functional_mailbox="",
    )
    w.handlaggare = member(w.bistand, username="handlaggare.soder", first_name="Karin")
    w.nurse = member(w.ward, "SJUKSKOTERSKA", username="nurse.sos", first_name="Sara")
    w.mas = member(w.sdf, "MAS", username="mas.soder", first_name="Eva")
    w.h_handlaggare = member(w.h_bistand, username="handlaggare.huddinge")
    w.h_nurse = member(w.h_ward, "SJUKSKOTERSKA", username="nurse.m44")
    w.h_mas = member(w.h_admin, "MAS", username="mas.huddinge")
    w.outsider = UserFactory(username="outsider")
    return w


FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def case_with(*organisations, kind="UTSKRIVNINGSKLAR_ACK"):
    """A bare case whose participants are the organisations given (each holds an open
    deadline in it, which is how a case without a flow model names its parties, and is
    recorded as a party, as the flows do when they send something)."""
    from coordination.models import ProcessParty
    from coordination.services import process_party_add

    process = ProcessFactory()
    process_party_add(
        process=process, organisations=organisations, reason=ProcessParty.Reason.ADMISSION_NOTICE
    )
    for organisation in organisations:
        Deadline.objects.create(
            process=process,
            kind=kind,
            responsible_organisation=organisation,
            due_at=FAR,
            subject_key=f"participant:{organisation.pk}",
        )
    return process


def deadline_for(
    process,
    organisation,
    *,
    kind="INSKRIVNINGSMEDDELANDE",
    due_at,
    status="BREACHED",
    met_at=None,
    breached_at=None,
):
    return Deadline.objects.create(
        process=process,
        kind=kind,
        responsible_organisation=organisation,
        due_at=due_at,
        status=status,
        met_at=met_at,
        breached_at=breached_at or (due_at if status == "BREACHED" else None),
    )


class DeviationFactory(factory.django.DjangoModelFactory):
    """A deviation in any state, written directly (for lists, access and dashboards);
    the state machine itself is exercised through the services."""

    class Meta:
        model = Deviation
        skip_postgeneration_save = True

    category = Deviation.Category.OTHER
    description = "Beskrivning"
    harm = Deviation.Harm.NO
    occurred_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            DeviationEvent.objects.create(deviation=obj, kind="CREATED", to_status=obj.status)


def discharge(ward, *, units=(), ready_at=None, discharged_at=None, admitted_at=None):
    """A DischargeProcess row as the flow leaves it (facts only, no tasks)."""
    from tests.factories import IndividualFactory
    from workflows.discharge.flows import DischargeFlow
    from workflows.discharge.models import DischargeProcess, DischargeUnit

    admitted_at = admitted_at or (ready_at or discharged_at) - dt.timedelta(days=5)
    process = DischargeProcess.objects.create(
        flow_class=DischargeFlow,
        individual=IndividualFactory(),
        ward=ward,
        admitted_at=admitted_at,
        judgement="MAY_NEED",
        ready_for_discharge_at=ready_at,
        discharged_at=discharged_at,
    )
    for role, organisation in units:
        DischargeUnit.objects.create(process=process, role=role, organisation=organisation)
    return process


def sip_meeting(initiator, *, held_at, invited):
    """A SIP with one held meeting; ``invited`` is [(organisation, attendance, sent_at)]."""
    from tests.factories import IndividualFactory
    from workflows.sip.flows import SipFlow
    from workflows.sip.models import Invitation, Meeting, SipProcess

    sip = SipProcess.objects.create(
        flow_class=SipFlow, individual=IndividualFactory(), initiating_organisation=initiator
    )
    meeting = Meeting.objects.create(sip=sip, starts_at=held_at, held_at=held_at, place="Mötesrum")
    for organisation, attendance, sent_at in invited:
        sip.participants.add(organisation)
        Invitation.objects.create(
            meeting=meeting,
            kind="ORGANISATION",
            organisation=organisation,
            channel="SYSTEM",
            sent_at=sent_at,
            attendance=attendance,
        )
    return sip
