"""A revoked consent ends the SIP through its flow: viewflow's Flow.cancel cancels the
open steps, and the open deadlines are cancelled with them (DOMAIN.md §2.3)."""

import pytest
from django.utils import timezone
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.status import PROCESS, STATUS

from workflows.models import Deadline, DeadlineEvent
from workflows.sip.flows import SipFlow
from workflows.sip.models import SipEvent, SipProcess

from .helpers import open_task
from .test_withdrawal import _invited_sip

pytestmark = pytest.mark.django_db


def _revoke(client, world, sip, note="Ringde och återkallade"):
    client.force_login(world.handlaggare)
    return client.post(f"/sips/{sip.pk}/samtycke/aterkalla/", {"note": note}, follow=True)


def test_revocation_cancels_open_tasks_and_deadlines_through_the_flow(client, world, monkeypatch):
    sip = _invited_sip(world)
    meeting_task = open_task(sip, SipFlow.meeting)
    response_deadlines = list(Deadline.objects.filter(process=sip, kind="INVITATION_RESPONSE"))
    assert len(response_deadlines) == 2  # the vårdcentral and the individual
    assert {d.status for d in response_deadlines} == {Deadline.Status.OPEN}

    cancelled_through_flow = []
    original_cancel = SipFlow.cancel

    def spy(flow, process):
        cancelled_through_flow.append(process.pk)
        return original_cancel(flow, process)

    monkeypatch.setattr(SipFlow, "cancel", spy)
    response = _revoke(client, world, sip)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Samtycket återkallades. Inget mer delas i denna SIP." in page
    assert "Samtycket har återkallats" in page

    assert cancelled_through_flow == [sip.pk]
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CONSENT_REVOKED
    assert sip.status == PROCESS.CANCELED and sip.finished is not None
    assert sip.closed_reason == "Ringde och återkallade"
    meeting_task.refresh_from_db()
    assert meeting_task.status == STATUS.CANCELED
    assert not sip.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).exists()
    for deadline in response_deadlines:
        deadline.refresh_from_db()
        assert deadline.status == Deadline.Status.CANCELLED
        assert deadline.next_action_at is None
        assert deadline.events.filter(
            kind=DeadlineEvent.Kind.CANCELLED, note="consent revoked", by=world.handlaggare
        ).exists()
    assert sip.events.filter(kind=SipEvent.Kind.CONSENT_REVOKED).count() == 1


def test_a_breached_deadline_stays_as_the_record(client, world):
    sip = _invited_sip(world)
    breached, still_open = Deadline.objects.filter(process=sip, kind="INVITATION_RESPONSE")
    Deadline.objects.filter(pk=breached.pk).update(
        status=Deadline.Status.BREACHED, breached_at=timezone.now()
    )
    assert _revoke(client, world, sip).status_code == 200
    breached.refresh_from_db()
    still_open.refresh_from_db()
    assert breached.status == Deadline.Status.BREACHED
    assert still_open.status == Deadline.Status.CANCELLED


def test_revocation_refused_while_the_flow_is_busy_changes_nothing(client, world, monkeypatch):
    sip = _invited_sip(world)

    def busy(flow, process):
        raise FlowRuntimeError("Can't cancel")

    monkeypatch.setattr(SipFlow, "cancel", busy)
    response = _revoke(client, world, sip)
    assert response.status_code == 200
    assert "Ett steg i denna SIP sparas just nu. Försök igen." in response.content.decode()
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.MEETING
    assert sip.consent.is_in_force
    assert open_task(sip, SipFlow.meeting).status in (STATUS.NEW, STATUS.ASSIGNED)
    assert set(
        Deadline.objects.filter(process=sip, kind="INVITATION_RESPONSE").values_list(
            "status", flat=True
        )
    ) == {"OPEN"}
