"""Who each SIP step goes to (issue #14, SIP routing): the initiator does not answer its
own invitation, and the follow-up task goes to the organisation that owns the follow-up
deadline (the plan's lead person's)."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import OutboundEmail
from workflows.models import Deadline
from workflows.sip import services
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation

from .factories import SipProcessFactory
from .helpers import do_task, local_input, open_task, start_sip
from .test_flow import _interventions

pytestmark = pytest.mark.django_db


def _to_plan(client, world):
    sip = start_sip(
        client,
        world.handlaggare,
        individual=world.individual,
        organisation=world.bistand,
        participants=[world.vc],
    )
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "given_by_individual": "on", "method": "ORAL"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.invite,
        {
            "starts_at": local_input(timezone.now() + dt.timedelta(days=5)),
            "place": "Biståndsenheten, Götgatan 1",
            "organisations": [world.bistand.pk, world.vc.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return sip


def test_the_initiator_does_not_answer_its_own_invitation(client, world):
    sip = _to_plan(client, world)
    own = Invitation.objects.get(meeting__sip=sip, organisation=world.bistand)
    other = Invitation.objects.get(meeting__sip=sip, organisation=world.vc)
    assert own.state == Invitation.State.ACCEPTED
    assert [e.to_state for e in own.events.order_by("pk")] == ["SENT", "ACKNOWLEDGED", "ACCEPTED"]
    assert other.state == Invitation.State.SENT
    # No answer deadline and no email for the initiator; the vårdcentral has both.
    responses = Deadline.objects.filter(process=sip, kind="INVITATION_RESPONSE")
    assert [d.responsible_organisation for d in responses] == [world.vc]
    assert not OutboundEmail.objects.filter(
        process_id=sip.pk, organisation=world.bistand, template__contains="invitation"
    ).exists()


def test_the_follow_up_task_goes_to_the_lead_persons_organisation(client, world):
    sip = _to_plan(client, world)
    attendance = {
        f"attendance_{i.pk}": "ATTENDED" for i in Invitation.objects.filter(meeting__sip=sip)
    }
    response = do_task(client, world.handlaggare, sip, SipFlow.meeting, {"notes": "", **attendance})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.plan,
        {
            "overall_responsibility": "REGION",
            "lead_person": world.vardkontakt.pk,  # works at the vårdcentral
            "own_goals": "Klara mig hemma",
            "follow_up_date": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "one_huvudman_reason": "Kommunens insatser är redan beviljade.",
            **_interventions([("Läkemedelsgenomgång", world.vc, timezone.localdate())]),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deadline = Deadline.objects.get(process=sip, kind="SIP_FOLLOW_UP", status="OPEN")
    task = open_task(sip, SipFlow.follow_up)
    assert deadline.responsible_organisation == world.vc
    assert str(task.owner_permission_obj_pk) == str(world.vc.pk)
    sip.refresh_from_db()
    assert services.follow_up_organisation(sip) == world.vc
    # The vårdcentral's queue has it; the initiator's handläggare may not take it.
    client.force_login(world.vardkontakt)
    assert f"/{sip.pk}/follow_up/" in client.get("/workflow/queue/").content.decode()
    client.force_login(world.handlaggare)
    assert f"/{sip.pk}/follow_up/" not in client.get("/workflow/queue/").content.decode()
    response = do_task(
        client, world.vardkontakt, sip, SipFlow.follow_up, {"decision": "CLOSE", "note": "Klart"}
    )
    assert response.status_code == 302
    deadline.refresh_from_db()
    assert deadline.status == "MET"


def test_a_discharge_kallelse_is_met_only_when_every_invitation_has_gone_out(world):
    """LUS 4 kap. 6 §: the kallelse to SIP is sent when the participants are invited;
    an unreachable unit counts once its second channel is recorded."""
    from viewflow.workflow.models import Process

    from coordination.models import Organisation
    from workflows.discharge.flows import DischargeFlow
    from workflows.discharge.models import DischargeProcess
    from workflows.services import deadline_open

    stay = DischargeProcess.objects.create(
        flow_class=DischargeFlow,
        individual=world.individual,
        ward=world.vc,
        admitted_at=timezone.now() - dt.timedelta(days=3),
        registered_by=world.vardkontakt,
    )
    deadline_open(
        process=stay,
        kind="SIP_KALLELSE",
        responsible_organisation=world.vc,
        due_at=timezone.now() + dt.timedelta(days=3),
    )
    sip = SipProcessFactory(
        individual=world.individual, initiating_organisation=world.vc, origin_discharge_id=stay.pk
    )
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.vardkontakt)
    unreachable = Organisation.objects.get(pk=world.hemtjanst.pk)
    assert unreachable.needs_second_channel
    services.sip_invite(
        sip=sip,
        starts_at=timezone.now() + dt.timedelta(days=5),
        place="Hemma",
        organisations=[world.vc, world.bistand, unreachable],
        by=world.vardkontakt,
    )
    kallelse = Deadline.objects.get(process_id=stay.pk, kind="SIP_KALLELSE")
    assert kallelse.status == "OPEN"  # the hemtjänst has not been reached yet
    waiting = Invitation.objects.get(meeting__sip=sip, organisation=unreachable)
    services.invitation_record_second_channel(
        invitation=waiting, channel="PHONE", note="Ringt enhetschefen", by=world.vardkontakt
    )
    kallelse.refresh_from_db()
    assert kallelse.status == "MET"
    stay.refresh_from_db()
    assert stay.sip_kallelse_sent_at is not None
    assert Process.objects.filter(pk=stay.pk).exists()
