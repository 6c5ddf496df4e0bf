"""The sweep's one-pass ladder (``escalation.plan``) and its chunked, pipelined writes."""

import datetime as dt

import pytest
import time_machine

from notifications.models import OutboundEmail
from tests.notifications.factories import ProcessFactory, build_registry
from workflows import escalation, tasks
from workflows.models import Deadline, DeadlineEvent
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

H = dt.timedelta(hours=1)
# A Friday noon in Stockholm: with office hours on, rungs in the evening and at the
# weekend are held to Monday morning, a breach is not.
FRIDAY = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("hours", [None, (dt.time(8), dt.time(17))])
def test_plan_agrees_with_the_rung_functions_for_every_kind(settings, hours):
    settings.KARDBORRE_OFFICE_HOURS = hours
    checked = 0
    for code, kind in escalation.KINDS.items():
        for due_shift in range(-80, 81, 7):
            due_at = FRIDAY + due_shift * H
            for level in range(len(kind.ladder) + 1):
                for now_shift in (-30, -4, 0, 3, 9, 26, 50, 75):
                    now = FRIDAY + now_shift * H
                    expected = (
                        escalation.due_rungs(code, due_at=due_at, level=level, now=now),
                        escalation.level_after(code, due_at=due_at, level=level, now=now),
                        escalation.next_action_at(
                            code,
                            due_at=due_at,
                            level=escalation.level_after(code, due_at=due_at, level=level, now=now),
                            now=now,
                        ),
                    )
                    assert escalation.plan(code, due_at=due_at, level=level, now=now) == expected
                    assert (
                        escalation.plan(code, due_at=due_at, level=level, now=now, hours=hours)
                        == expected
                    )
                    checked += 1
    assert checked > 1000


@pytest.mark.django_db
def test_a_batch_written_in_several_chunks_writes_every_row_once(monkeypatch):
    """Chunks of 2 rows in batches of 5: every deadline moved on, one event and its
    outbox rows each, the count of emails right, and a second sweep adds nothing."""
    monkeypatch.setattr(tasks, "CHUNK_SIZE", 2)
    reg = build_registry()
    due = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)
    opened = due - 20 * H
    with time_machine.travel(opened, tick=False):
        deadlines = [
            deadline_open(
                process=ProcessFactory(),
                kind="INSKRIVNING_ACK",
                responsible_organisation=reg.bistand,
                due_at=due + i * dt.timedelta(minutes=1),
            )
            for i in range(12)
        ]
    with time_machine.travel(due + H, tick=False):  # the first reminder of each
        result = deadlines_sweep(batch_size=5)
    assert (result.deadlines, result.reminders) == (12, 12)
    assert result.emails == OutboundEmail.objects.count() == 24
    for deadline in deadlines:
        deadline.refresh_from_db()
        assert deadline.status == Deadline.Status.OPEN
        assert deadline.escalation_level == 2  # both reminders due: only the latest sent
        assert deadline.events.filter(kind=DeadlineEvent.Kind.REMINDED).count() == 1
        # The unit's staff and mailbox, as in the one-batch sweep (test_sweep.py).
        assert sorted(
            OutboundEmail.objects.filter(deadline=deadline).values_list("to", flat=True)
        ) == ["bistand.soder@example.se", "handlaggare.sodermalm@example.se"]
    with time_machine.travel(due + H, tick=False):
        again = deadlines_sweep(batch_size=5)
    assert (again.deadlines, again.emails) == (0, 0)
