"""Office hours: reminders and escalations outside 08:00–17:00 on office days are held
until the next opening; a breach and a deadline in calendar hours by law are not."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from notifications import catalogue
from notifications.models import OutboundEmail
from notifications.services import outbox_deliver_pending
from tests.notifications.factories import ProcessFactory, build_registry
from workflows import deadlines, escalation
from workflows.models import Deadline, DeadlineEvent
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

STHLM = ZoneInfo("Europe/Stockholm")
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
M = dt.timedelta(minutes=1)
HOURS = {"opens": dt.time(8), "closes": dt.time(17)}


def local(*args):
    return dt.datetime(*args, tzinfo=STHLM)


def _open(reg, *, kind, due_at, opened):
    with time_machine.travel(opened, tick=False):
        return deadline_open(
            process=ProcessFactory(),
            kind=kind,
            responsible_organisation=reg.bistand,
            due_at=due_at,
        )


def _sweep_at(at):
    with time_machine.travel(at, tick=False):
        return deadlines_sweep()


def _templates(deadline):
    return set(OutboundEmail.objects.filter(deadline=deadline).values_list("template", flat=True))


# --- the pure arithmetic ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "held"),
    [
        (local(2026, 1, 13, 8, 0), local(2026, 1, 13, 8, 0)),  # opening: kept
        (local(2026, 1, 13, 16, 59), local(2026, 1, 13, 16, 59)),  # just before closing
        (local(2026, 1, 13, 17, 0), local(2026, 1, 14, 8, 0)),  # closing: next morning
        (local(2026, 1, 13, 0, 30), local(2026, 1, 13, 8, 0)),  # the same morning
        (local(2026, 1, 16, 18, 0), local(2026, 1, 19, 8, 0)),  # Friday evening → Monday
        (local(2026, 1, 17, 12, 0), local(2026, 1, 19, 8, 0)),  # Saturday
        (local(2026, 6, 19, 10, 0), local(2026, 6, 22, 8, 0)),  # midsommarafton
        (local(2026, 12, 23, 18, 0), local(2026, 12, 28, 8, 0)),  # julafton, juldagen, annandag
        (local(2026, 12, 31, 9, 0), local(2027, 1, 4, 8, 0)),  # nyårsafton, nyårsdagen, weekend
        (local(2026, 4, 2, 17, 30), local(2026, 4, 7, 8, 0)),  # Easter: långfredag–annandag
    ],
)
def test_held_to_office_hours(at, held):
    result = deadlines.held_to_office_hours(at, **HOURS)
    assert result == held
    assert result.utcoffset() == dt.timedelta(0)


def test_the_opening_is_local_time_across_both_dst_weekends():
    # Summer time starts Sunday 29 March 2026 and ends Sunday 25 October 2026.
    spring = deadlines.held_to_office_hours(local(2026, 3, 28, 10, 0), **HOURS)
    assert spring == dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)  # 08:00 CEST
    autumn = deadlines.held_to_office_hours(local(2026, 10, 24, 10, 0), **HOURS)
    assert autumn == dt.datetime(2026, 10, 26, 7, 0, tzinfo=dt.UTC)  # 08:00 CET


def test_eves_are_working_days_for_the_law_but_not_office_days():
    assert deadlines.is_working_day(dt.date(2026, 12, 24))
    assert not deadlines.is_office_day(dt.date(2026, 12, 24))
    assert not deadlines.is_office_day(dt.date(2026, 6, 19))
    assert deadlines.is_office_day(dt.date(2026, 6, 18))


def test_office_hours_come_from_the_settings(settings):
    # SIP_FOLLOW_UP reminds 7 days before; the rung falls on Tuesday 13 January 07:30.
    due = local(2026, 1, 20, 7, 30)
    assert escalation.rung_at("SIP_FOLLOW_UP", due_at=due, level=0) == local(2026, 1, 13, 8, 0)
    settings.KARDBORRE_OFFICE_HOURS = (dt.time(7), dt.time(16))
    assert escalation.rung_at("SIP_FOLLOW_UP", due_at=due, level=0) == local(2026, 1, 13, 7, 30)
    settings.KARDBORRE_OFFICE_HOURS = None
    assert escalation.rung_at("SIP_FOLLOW_UP", due_at=due, level=0) == local(2026, 1, 13, 7, 30)


def test_the_24_hour_admission_notice_is_in_calendar_hours_by_law():
    kind = escalation.KINDS["INSKRIVNINGSMEDDELANDE"]
    assert kind.calendar_hours_by_law
    assert not escalation.KINDS["SIP_KALLELSE"].calendar_hours_by_law
    due = local(2026, 1, 17, 3, 0)  # Saturday night
    for level, rung in enumerate(kind.ladder):
        assert escalation.rung_at(kind.code, due_at=due, level=level) == due + rung.offset


# --- the sweep, under time-machine -------------------------------------------------------


@pytest.mark.django_db
def test_a_friday_evening_reminder_is_sent_on_monday_morning():
    reg = build_registry()
    # SIP_FOLLOW_UP: remind 7 days before due, so at Friday 18:00.
    friday_evening = local(2026, 1, 16, 18, 0)
    monday_morning = local(2026, 1, 19, 8, 0)
    deadline = _open(
        reg, kind="SIP_FOLLOW_UP", due_at=friday_evening + 7 * D, opened=friday_evening - 3 * D
    )
    assert deadline.next_action_at == monday_morning
    assert _sweep_at(friday_evening).deadlines == 0
    assert _sweep_at(monday_morning - M).deadlines == 0
    result = _sweep_at(monday_morning)
    assert (result.deadlines, result.reminders) == (1, 1)
    assert _templates(deadline) == {catalogue.DEADLINE_REMINDER}
    event = DeadlineEvent.objects.get(deadline=deadline, kind=DeadlineEvent.Kind.REMINDED)
    assert event.at == monday_morning
    deadline.refresh_from_db()
    # The reminder at the due time (next Friday 18:00) is held to the Monday after.
    assert deadline.next_action_at == local(2026, 1, 26, 8, 0)


@pytest.mark.django_db
def test_a_rung_on_midsummer_eve_waits_for_the_next_working_day():
    reg = build_registry()
    midsummer_eve = local(2026, 6, 19, 10, 0)
    deadline = _open(
        reg, kind="SIP_FOLLOW_UP", due_at=midsummer_eve + 7 * D, opened=midsummer_eve - 2 * D
    )
    assert deadline.next_action_at == local(2026, 6, 22, 8, 0)
    assert _sweep_at(midsummer_eve).deadlines == 0
    assert _sweep_at(local(2026, 6, 20, 12, 0)).deadlines == 0  # midsommardagen
    assert _sweep_at(local(2026, 6, 22, 8, 0)).reminders == 1


@pytest.mark.django_db
def test_a_reminder_over_the_spring_dst_weekend_comes_at_eight_local_time():
    reg = build_registry()
    saturday = local(2026, 3, 28, 11, 0)  # CET; Monday is CEST
    deadline = _open(reg, kind="SIP_FOLLOW_UP", due_at=saturday + 7 * D, opened=saturday - 2 * D)
    monday_eight = dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)
    assert deadline.next_action_at == monday_eight
    assert _sweep_at(monday_eight - M).deadlines == 0
    assert _sweep_at(monday_eight).reminders == 1


@pytest.mark.django_db
def test_held_reminder_and_escalation_come_together_and_only_the_escalation_is_sent():
    reg = build_registry()
    # INVITATION_RESPONSE: remind 24 h before and at due, escalate 4 h after, breach 24 h
    # after. Due Tuesday 20:00: remind Monday 20:00 (→ Tuesday 08:00), remind Tuesday
    # 20:00 and escalate Wednesday 00:00 (both → Wednesday 08:00), breach Wednesday 20:00.
    due = local(2026, 1, 13, 20, 0)
    deadline = _open(reg, kind="INVITATION_RESPONSE", due_at=due, opened=due - 2 * D)
    assert deadline.next_action_at == local(2026, 1, 13, 8, 0)
    assert _sweep_at(local(2026, 1, 13, 8, 0)).reminders == 1
    deadline.refresh_from_db()
    assert deadline.next_action_at == local(2026, 1, 14, 8, 0)
    result = _sweep_at(local(2026, 1, 14, 8, 0))
    assert (result.reminders, result.escalations) == (0, 1)
    deadline.refresh_from_db()
    assert deadline.escalation_level == 3
    assert deadline.next_action_at == due + 24 * H  # the breach, not held


@pytest.mark.django_db
def test_a_breach_at_night_is_not_held_even_when_reminders_are():
    reg = build_registry()
    # INVITATION_RESPONSE due Saturday 18:00: both reminders and the escalation fall in
    # the weekend (held to Monday); the breach, Sunday 18:00, is not held.
    due = local(2026, 1, 17, 18, 0)
    deadline = _open(reg, kind="INVITATION_RESPONSE", due_at=due, opened=due - 30 * H)
    breach_at = local(2026, 1, 18, 18, 0)
    assert deadline.next_action_at == breach_at
    assert _sweep_at(breach_at - M).deadlines == 0
    result = _sweep_at(breach_at)
    assert (result.reminders, result.escalations, result.breaches) == (0, 0, 1)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.BREACHED
    assert deadline.next_action_at is None
    assert _templates(deadline) == {catalogue.DEADLINE_BREACH}
    # The MAS's email says why it comes on a Sunday evening.
    with time_machine.travel(breach_at, tick=False):
        outbox_deliver_pending()
    assert mail.outbox
    for message in mail.outbox:
        assert "väntar aldrig till kontorstid" in message.body


@pytest.mark.django_db
def test_a_breach_in_office_hours_says_nothing_of_them():
    reg = build_registry()
    due = local(2026, 1, 13, 10, 0)  # Tuesday; the breach Wednesday 10:00
    deadline = _open(reg, kind="INVITATION_RESPONSE", due_at=due, opened=due - 30 * H)
    assert _sweep_at(due + 24 * H).breaches == 1
    with time_machine.travel(due + 24 * H, tick=False):
        outbox_deliver_pending()
    assert mail.outbox
    assert not any("kontorstid" in message.body for message in mail.outbox)
    assert OutboundEmail.objects.filter(
        deadline=deadline, template=catalogue.DEADLINE_BREACH
    ).exists()


@pytest.mark.django_db
def test_the_24_hour_admission_notice_reminds_at_night():
    reg = build_registry()
    # INSKRIVNINGSMEDDELANDE: remind 6 h before due; due Saturday 03:00 → Friday 21:00.
    due = local(2026, 1, 17, 3, 0)
    deadline = _open(reg, kind="INSKRIVNINGSMEDDELANDE", due_at=due, opened=due - 20 * H)
    assert deadline.next_action_at == local(2026, 1, 16, 21, 0)
    assert _sweep_at(local(2026, 1, 16, 21, 0)).reminders == 1
    assert _sweep_at(due).reminders == 1
    assert _sweep_at(due + 2 * H).escalations == 1
    deadline.refresh_from_db()
    assert deadline.next_action_at == due + 4 * H
