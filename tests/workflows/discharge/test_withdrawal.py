"""Withdrawal (makulering) of a discharge registered in error: who may, what it
cancels, who is told, what the parties still see (issue #12)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from viewflow.workflow.status import PROCESS, STATUS

from coordination.clock import STOCKHOLM
from coordination.models import AccessLog
from notifications.services import outbox_deliver_pending
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeEvent, Stage
from workflows.models import Deadline

from .factories import WardFactory, member
from .helpers import client_for, do, fresh
from .test_flow import register

pytestmark = pytest.mark.django_db(transaction=False)


def local(*args):
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def _notified_case(world):
    """A case whose admission notice went to the kommun and the vårdcentral."""
    process = register(world, admitted=local(2022, 11, 14, 8, 0))
    response = do(
        client_for(world.nurse),
        process,
        DischargeFlow.send_admission_notice,
        {
            "socialtjanst": world.social.pk,
            "vardcentral": world.vc.pk,
            "estimated_discharge_date": "2022-11-18",
        },
    )
    assert response.status_code == 302
    outbox_deliver_pending()
    mail.outbox.clear()
    return fresh(process)


def _withdraw_url(process):
    return reverse("utskrivning:withdraw", args=[process.pk])


def test_registering_ward_withdraws_and_every_notified_unit_is_told(world):
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        process = _notified_case(world)
        ward = client_for(world.nurse)
        case_page = ward.get(process.get_absolute_url()).content.decode()
        assert _withdraw_url(process) in case_page

        response = ward.post(_withdraw_url(process), {"reason": "Fel patient registrerad"})
        assert response.status_code == 302
        outbox_deliver_pending()

    process = fresh(process)
    assert process.stage == Stage.WITHDRAWN
    assert process.status == PROCESS.CANCELED
    assert process.withdrawal_reason == "Fel patient registrerad"
    assert process.withdrawn_by == world.nurse
    # viewflow's own cancel: no open task is left in any queue.
    assert not process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert not Deadline.objects.filter(process_id=process.pk, status="OPEN").exists()
    event = process.events.get(kind=DischargeEvent.Kind.WITHDRAWN)
    assert event.by == world.nurse and event.note == "Fel patient registrerad"

    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([world.social.functional_mailbox, world.vc.functional_mailbox])
    for message in mail.outbox:
        assert "makulera" in message.subject.lower()
        # No personal data: neither the name nor the personnummer.
        body = message.body + message.subject
        assert world.individual.family_name not in body
        assert world.individual.personal_identity_number not in body
        assert "Fel patient" not in body

    # The kommun still reads the case, marked withdrawn, and the read is logged.
    kommun = client_for(world.handlaggare)
    before = AccessLog.objects.filter(user=world.handlaggare, process_id=process.pk).count()
    page = kommun.get(process.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Makulerad" in text and "Fel patient registrerad" in text
    assert _withdraw_url(process) not in text
    assert AccessLog.objects.filter(user=world.handlaggare, process_id=process.pk).count() == (
        before + 1
    )


def test_double_submission_is_idempotent(world):
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        process = _notified_case(world)
        ward = client_for(world.nurse)
        ward.post(_withdraw_url(process), {"reason": "Dubbelregistrerad"})
        second = ward.post(_withdraw_url(process), {"reason": "Dubbelregistrerad igen"})
        assert second.status_code == 302
        outbox_deliver_pending()
    process = fresh(process)
    assert process.withdrawal_reason == "Dubbelregistrerad"
    assert process.events.filter(kind=DischargeEvent.Kind.WITHDRAWN).count() == 1
    assert len(mail.outbox) == 2


def test_reason_is_required_and_nothing_is_written_without_it(world):
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        process = _notified_case(world)
        response = client_for(world.nurse).post(_withdraw_url(process), {"reason": "   "})
        outbox_deliver_pending()
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert "Detta fält måste fyllas i" in response.content.decode()
    process = fresh(process)
    assert process.stage == Stage.PLANNING and process.status == PROCESS.NEW
    assert Deadline.objects.filter(process_id=process.pk, status="OPEN").exists()
    assert mail.outbox == []


def test_only_the_registering_ward_may_withdraw(world):
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        process = _notified_case(world)
        kommun = client_for(world.handlaggare)
        # A party that did not register the case: no button, and a refusal.
        assert _withdraw_url(process) not in kommun.get(process.get_absolute_url()).content.decode()
        assert kommun.post(_withdraw_url(process), {"reason": "x"}).status_code == 403
        # Someone who is no party at all: the case does not exist for them.
        stranger = member(WardFactory(area=world.district), "SJUKSKOTERSKA")
        assert client_for(stranger).post(_withdraw_url(process), {"reason": "x"}).status_code == 404
        assert (
            client_for(world.nurse).get(reverse("utskrivning:withdraw", args=[999999])).status_code
            == 404
        )
    assert fresh(process).stage == Stage.PLANNING


def test_viewflow_cancel_button_only_for_who_may_withdraw(world):
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        process = _notified_case(world)
        detail = DischargeFlow.instance.reverse("process_detail", args=[process.pk])
        cancel = DischargeFlow.instance.reverse("process_cancel", args=[process.pk])
        ward = client_for(world.nurse)
        kommun = client_for(world.handlaggare)

        assert _withdraw_url(process) in ward.get(detail).content.decode()
        kommun_page = kommun.get(detail)
        assert kommun_page.status_code == 200
        assert _withdraw_url(process) not in kommun_page.content.decode()
        assert cancel not in kommun_page.content.decode()

        # viewflow's cancel leads to the withdrawal, which asks for the reason.
        response = ward.get(cancel)
        assert response.status_code == 302 and response["Location"] == _withdraw_url(process)
        assert kommun.get(cancel).status_code == 403
        # A task's own cancel/undo actions are not offered on viewflow's task page.
        task = process.task_set.get(flow_task=DischargeFlow.issue_ready_notice)
        task_page = ward.get(
            DischargeFlow.issue_ready_notice.reverse("detail", args=[process.pk, task.pk])
        )
        assert task_page.status_code == 200
        assert f"/{task.pk}/cancel/" not in task_page.content.decode()
        assert f"/{task.pk}/undo/" not in task_page.content.decode()
    assert fresh(process).stage == Stage.PLANNING


def test_withdrawn_case_leaves_the_queues(world):
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        process = _notified_case(world)
        kommun = client_for(world.handlaggare)
        queue = reverse("workflow:queue")
        assert f"/{process.pk}/" in kommun.get(queue).content.decode()
        client_for(world.nurse).post(_withdraw_url(process), {"reason": "Fel person"})
        assert f"/{process.pk}/" not in kommun.get(queue).content.decode()
