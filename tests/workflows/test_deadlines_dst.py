"""Deadlines across the DST changes and at midnight in Europe/Stockholm: the pure
arithmetic, the ladder times built on it, and the sweep acting on them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from coordination import clock
from notifications.models import OutboundEmail
from tests.notifications.factories import ProcessFactory, build_registry
from workflows import deadlines, escalation
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

STHLM = ZoneInfo("Europe/Stockholm")
H = dt.timedelta(hours=1)


def local(*args):
    return dt.datetime(*args, tzinfo=STHLM)


# 2026: summer time starts Sunday 29 March 02:00 (→ 03:00), ends Sunday 25 October 03:00 (→ 02:00).


def test_24_hours_is_24_elapsed_hours_across_spring_forward():
    admitted = local(2026, 3, 28, 12, 0)  # CET, UTC+1
    due = deadlines.hours_after(admitted, hours=24)
    assert due == dt.datetime(2026, 3, 29, 11, 0, tzinfo=dt.UTC)
    # Not wall-clock arithmetic (which Python does within one tzinfo): 13:00, not 12:00.
    assert due != admitted + 24 * H
    assert due.astimezone(STHLM).hour == 13  # the wall clock moved one hour forward


def test_24_hours_is_24_elapsed_hours_across_fall_back():
    admitted = local(2026, 10, 24, 12, 0)  # CEST, UTC+2
    due = deadlines.hours_after(admitted, hours=24)
    assert due.astimezone(STHLM).hour == 11
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 10, 0, tzinfo=dt.UTC)


def test_calendar_days_end_at_local_midnight_across_both_changes():
    spring = deadlines.end_of_calendar_day_after(local(2026, 3, 28, 10, 0), days=3)
    assert spring.astimezone(STHLM).replace(tzinfo=None) == dt.datetime(
        2026, 3, 31, 23, 59, 59, 999999
    )
    assert spring.utcoffset() == dt.timedelta(0)  # stored as UTC
    assert spring == dt.datetime(2026, 3, 31, 21, 59, 59, 999999, tzinfo=dt.UTC)  # CEST

    autumn = deadlines.end_of_calendar_day_after(local(2026, 10, 24, 10, 0), days=1)
    assert autumn == dt.datetime(2026, 10, 25, 22, 59, 59, 999999, tzinfo=dt.UTC)  # CET


def test_the_local_date_changes_at_local_midnight_not_utc_midnight():
    assert clock.local_date(dt.datetime(2026, 6, 30, 21, 59, tzinfo=dt.UTC)) == dt.date(2026, 6, 30)
    assert clock.local_date(dt.datetime(2026, 6, 30, 22, 0, tzinfo=dt.UTC)) == dt.date(2026, 7, 1)
    assert clock.local_date(dt.datetime(2026, 12, 31, 23, 0, tzinfo=dt.UTC)) == dt.date(2027, 1, 1)
    # The day of the autumn change has 25 hours, the spring one 23.
    autumn = clock.start_of_local_day(dt.date(2026, 10, 26)) - clock.start_of_local_day(
        dt.date(2026, 10, 25)
    )
    spring = clock.start_of_local_day(dt.date(2026, 3, 30)) - clock.start_of_local_day(
        dt.date(2026, 3, 29)
    )
    assert (autumn, spring) == (25 * H, 23 * H)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        deadlines.hours_after(dt.datetime(2026, 3, 28, 12, 0), hours=24)


def test_ladder_rungs_are_elapsed_time_from_due_across_the_change(settings):
    settings.KARDBORRE_OFFICE_HOURS = None  # round the clock; see test_office_hours.py
    # SIP_KALLELSE: remind 24 h before; due at the end of Sunday 29 March (summer time).
    due = clock.end_of_local_day(dt.date(2026, 3, 29))
    first = escalation.next_action_at("SIP_KALLELSE", due_at=due, level=0, now=due - 48 * H)
    assert due - first == 24 * H
    # 24 elapsed hours before 23:59:59 CEST on the 23-hour day is 22:59:59 CET the day before.
    assert first.astimezone(STHLM).replace(tzinfo=None) == dt.datetime(
        2026, 3, 28, 22, 59, 59, 999999
    )


@pytest.mark.django_db
def test_sweep_at_local_midnight_and_across_fall_back(settings):
    settings.KARDBORRE_OFFICE_HOURS = None  # round the clock; see test_office_hours.py
    reg = build_registry()
    # Due at the end of Saturday 24 October (summer time); the reminder 24 h earlier,
    # the escalation 2 h after in the night of the change, the breach on the 25-hour day.
    due = clock.end_of_local_day(dt.date(2026, 10, 24))
    with time_machine.travel(due - 48 * H, tick=False):
        deadline = deadline_open(
            process=ProcessFactory(),
            kind="SIP_KALLELSE",
            responsible_organisation=reg.bistand,
            due_at=due,
        )

    def sweep(at):
        with time_machine.travel(at, tick=False):
            return deadlines_sweep().deadlines

    assert sweep(due - 24 * H - dt.timedelta(microseconds=1)) == 0
    assert sweep(due - 24 * H) == 1
    # At the due time, local midnight: not a microsecond before.
    assert sweep(due - dt.timedelta(seconds=1)) == 0
    assert sweep(due) == 1
    escalate_at = due + 2 * H
    assert escalate_at.astimezone(STHLM).replace(tzinfo=None) == dt.datetime(
        2026, 10, 25, 1, 59, 59, 999999
    )
    assert sweep(escalate_at - dt.timedelta(seconds=1)) == 0
    assert sweep(escalate_at) == 1
    # The breach 24 elapsed hours after due: 23:59:59 local on the 25-hour Sunday.
    breach_at = due + 24 * H
    assert breach_at.astimezone(STHLM).replace(tzinfo=None) == dt.datetime(
        2026, 10, 25, 22, 59, 59, 999999
    )
    assert sweep(breach_at) == 1
    deadline.refresh_from_db()
    assert deadline.status == "BREACHED"
    assert (
        OutboundEmail.objects.filter(deadline=deadline).values("template").distinct().count() == 3
    )
