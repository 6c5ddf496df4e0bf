"""Plausible input at admission (issue #12): no future admissions, no admissions from
long ago without a reason, no second open discharge of one person, and the
preconditions of a step shown before its form."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from coordination.clock import STOCKHOLM
from notifications.models import OutboundEmail
from notifications.services import outbox_deliver_pending
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeEvent, DischargeProcess
from workflows.models import Deadline, DeadlineEvent
from workflows.tasks import deadlines_sweep

from .factories import WardFactory, member
from .helpers import client_for, do, fresh, start

pytestmark = pytest.mark.django_db(transaction=False)

NOW = dt.datetime(2022, 11, 14, 10, 0, tzinfo=STOCKHOLM)


def _post(world, admitted, user=None, **extra):
    return start(
        client_for(user or world.nurse),
        personal_identity_number=world.individual.personal_identity_number,
        ward=world.ward.pk,
        admitted_at=admitted.strftime("%Y-%m-%dT%H:%M"),
        care_type="SOMATIC",
        judgement="MAY_NEED",
        **extra,
    )


@pytest.mark.parametrize(
    "admitted",
    [NOW + dt.timedelta(minutes=10), NOW + dt.timedelta(days=1)],
    ids=["ten-minutes-ahead", "tomorrow"],
)
def test_admission_in_the_future_is_refused(world, admitted):
    with time_machine.travel(NOW, tick=False):
        response = _post(world, admitted)
    assert response.status_code == 200
    assert "Inskrivningen kan inte ligga i framtiden" in response.content.decode()
    assert not DischargeProcess.objects.exists()


def test_small_clock_skew_is_accepted(world):
    with time_machine.travel(NOW, tick=False):
        response = _post(world, NOW + dt.timedelta(minutes=3))
    assert response.status_code == 302
    assert DischargeProcess.objects.count() == 1


def test_admission_dated_1990_needs_a_reason(world):
    with time_machine.travel(NOW, tick=False):
        response = _post(world, dt.datetime(1990, 5, 1, 8, 0, tzinfo=STOCKHOLM))
    assert response.status_code == 200
    page = response.content.decode()
    assert "mer än 7 dagar sedan" in page
    assert not DischargeProcess.objects.exists()
    assert not Deadline.objects.exists()


def test_window_is_configurable(world, settings):
    settings.DISCHARGE_ADMISSION_MAX_AGE_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        response = _post(world, NOW - dt.timedelta(days=20))
    assert response.status_code == 302


def test_late_registration_records_the_reason_and_a_quiet_breach(world):
    reason = "Pappersjournal under driftstopp"
    admitted = NOW - dt.timedelta(days=10)
    with time_machine.travel(NOW, tick=False) as clock:
        response = _post(world, admitted, late_registration_reason=reason)
        assert response.status_code == 302
        process = DischargeProcess.objects.get()
        assert process.late_registration_reason == reason
        assert process.events.get(kind=DischargeEvent.Kind.REGISTERED).note == reason

        notice = Deadline.objects.get(process_id=process.pk, kind="INSKRIVNINGSMEDDELANDE")
        assert notice.status == Deadline.Status.BREACHED
        assert notice.breached_at == NOW and notice.next_action_at is None
        assert DeadlineEvent.objects.filter(
            deadline=notice, kind="BREACHED", note="breached at registration"
        ).exists()

        # No storm: the sweep sends no reminder, escalation or breach notice about it.
        for _hour in range(3):
            clock.shift(dt.timedelta(hours=1))
            deadlines_sweep()
        outbox_deliver_pending()
        assert not OutboundEmail.objects.filter(process_id=process.pk).exists()
        assert mail.outbox == []

        page = client_for(world.nurse).get(process.get_absolute_url()).content.decode()
        assert "Registrerad i efterhand" in page and reason in page

        # The late notice is still recorded as met (late) when it is sent.
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {"socialtjanst": world.social.pk, "estimated_discharge_date": "2022-11-18"},
        )
        notice.refresh_from_db()
        assert notice.status == Deadline.Status.MET and notice.is_late


def test_reason_is_not_kept_for_a_timely_admission(world):
    with time_machine.travel(NOW, tick=False):
        _post(world, NOW - dt.timedelta(hours=2), late_registration_reason="onödigt")
    process = DischargeProcess.objects.get()
    assert process.late_registration_reason == ""
    assert (
        Deadline.objects.get(process_id=process.pk, kind="INSKRIVNINGSMEDDELANDE").status == "OPEN"
    )


def test_same_person_cannot_be_admitted_twice_while_a_discharge_is_open(world):
    with time_machine.travel(NOW, tick=False):
        assert _post(world, NOW - dt.timedelta(hours=2)).status_code == 302
        first = DischargeProcess.objects.get()
        response = _post(world, NOW - dt.timedelta(hours=1))
        assert response.status_code == 200
        page = response.content.decode()
        assert "redan ett öppet utskrivningsärende" in page
        assert f'href="{first.get_absolute_url()}"' in page
        assert DischargeProcess.objects.count() == 1

        # Another hospital's ward is told, without a link to a case it may not see.
        other_ward = WardFactory(area=world.district)
        other_nurse = member(other_ward, "SJUKSKOTERSKA")
        response = start(
            client_for(other_nurse),
            personal_identity_number=world.individual.personal_identity_number,
            ward=other_ward.pk,
            admitted_at=(NOW - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            care_type="SOMATIC",
            judgement="MAY_NEED",
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "på en annan avdelning" in page
        assert first.get_absolute_url() not in page
        assert DischargeProcess.objects.count() == 1


def test_withdrawn_or_closed_discharge_does_not_block_a_new_admission(world):
    with time_machine.travel(NOW, tick=False):
        _post(world, NOW - dt.timedelta(hours=3))
        first = DischargeProcess.objects.get()
        client_for(world.nurse).post(f"/utskrivning/{first.pk}/makulera/", {"reason": "Fel datum"})
        assert fresh(first).is_withdrawn
        assert _post(world, NOW - dt.timedelta(hours=2)).status_code == 302
    assert DischargeProcess.objects.count() == 2


def test_discharge_precondition_is_shown_before_the_form(world):
    with time_machine.travel(NOW, tick=False) as clock:
        _post(world, NOW - dt.timedelta(hours=2))
        process = DischargeProcess.objects.get()
        ward = client_for(world.nurse)
        do(
            ward,
            process,
            DischargeFlow.send_admission_notice,
            {"vardcentral": world.vc.pk, "estimated_discharge_date": "2022-11-18"},
        )
        clock.shift(dt.timedelta(hours=1))
        do(
            ward,
            process,
            DischargeFlow.issue_ready_notice,
            {"issued_at": (NOW + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
        )
        task = process.task_set.get(flow_task=DischargeFlow.discharge, status="NEW")
        ward.post(DischargeFlow.discharge.reverse("assign", args=[process.pk, task.pk]))
        page = ward.get(DischargeFlow.discharge.reverse("execute", args=[process.pk, task.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="preconditions"' in text
        assert "Vårdcentralen har ännu inte kvitterat" in text


def test_change_of_ward_moves_the_open_discharge(world):
    new_ward = WardFactory(area=world.district, name="Testsjukhuset avd 2")
    new_nurse = member(new_ward, "SJUKSKOTERSKA")
    with time_machine.travel(NOW, tick=False):
        _post(world, NOW - dt.timedelta(hours=2))
        process = DischargeProcess.objects.get()
        response = client_for(world.nurse).post(
            f"/utskrivning/{process.pk}/byt-avdelning/", {"ward": new_ward.pk, "note": "Flytt"}
        )
        assert response.status_code == 302
    process = fresh(process)
    assert process.ward == new_ward
    assert process.events.filter(kind=DischargeEvent.Kind.WARD_CHANGED).exists()
    notice = Deadline.objects.get(process_id=process.pk, kind="INSKRIVNINGSMEDDELANDE")
    assert notice.responsible_organisation == new_ward
    # The new ward takes the open step; the case is still one case.
    task = process.task_set.get(flow_task=DischargeFlow.send_admission_notice)
    assert task.owner_permission_obj_pk == str(new_ward.pk)
    assert client_for(new_nurse).get(process.get_absolute_url()).status_code == 200
    assert DischargeProcess.objects.count() == 1


def test_change_of_ward_refuses_bad_input(world):
    with time_machine.travel(NOW, tick=False):
        _post(world, NOW - dt.timedelta(hours=2))
        process = DischargeProcess.objects.get()
        ward = client_for(world.nurse)
        ward.post(f"/utskrivning/{process.pk}/byt-avdelning/", {"ward": world.social.pk})
        ward.post(f"/utskrivning/{process.pk}/byt-avdelning/", {"ward": "abc"})
        kommun_user = client_for(world.handlaggare)
        assert (
            kommun_user.post(
                f"/utskrivning/{process.pk}/byt-avdelning/", {"ward": world.ward.pk}
            ).status_code
            == 404
        )
    assert fresh(process).ward == world.ward
    assert not process.events.filter(kind=DischargeEvent.Kind.WARD_CHANGED).exists()


def test_late_registration_keeps_the_ladder_of_a_deadline_not_yet_breached(world):
    from workflows.services import deadline_open

    with time_machine.travel(NOW, tick=False):
        _post(world, NOW - dt.timedelta(hours=2))
        process = DischargeProcess.objects.get()
        # Due an hour ago; its breach rung (4 hours after) has not come yet.
        deadline = deadline_open(
            process=process,
            kind="INSKRIVNINGSMEDDELANDE",
            responsible_organisation=world.ward,
            due_at=NOW - dt.timedelta(hours=1),
            late_registration=True,
        )
        assert deadline.status == Deadline.Status.OPEN
        assert deadline.next_action_at is not None
        # Exactly at the breach time: recorded as breached, nothing left to do.
        breached = deadline_open(
            process=process,
            kind="INSKRIVNINGSMEDDELANDE",
            responsible_organisation=world.ward,
            due_at=NOW - dt.timedelta(hours=4),
            late_registration=True,
        )
        assert breached.status == Deadline.Status.BREACHED and breached.next_action_at is None
