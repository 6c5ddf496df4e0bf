"""Two sweeps at once (a second beat, an overlapping slow run) and two senders at once:
every reminder is written once and sent once. Real threads, real PostgreSQL
connections, committed data."""

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import connection

from notifications.models import OutboundEmail
from notifications.services import outbox_deliver_pending
from tests.notifications.factories import ProcessFactory, build_registry
from workflows.models import DeadlineEvent
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

H = dt.timedelta(hours=1)
DUE = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)
CASES = 40


def _in_threads(target, count=2):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_and_senders_send_each_reminder_once():
    reg = build_registry()
    with time_machine.travel(DUE - 20 * H, tick=False):
        deadlines = [
            deadline_open(
                process=ProcessFactory(),
                kind="INSKRIVNING_ACK",
                responsible_organisation=reg.bistand,
                due_at=DUE,
            )
            for _ in range(CASES)
        ]

    with time_machine.travel(DUE - 4 * H, tick=False):
        results = _in_threads(lambda: deadlines_sweep(batch_size=5))
        assert sum(result.deadlines for result in results) == CASES

        events = Counter(
            DeadlineEvent.objects.filter(kind=DeadlineEvent.Kind.REMINDED).values_list(
                "deadline_id", flat=True
            )
        )
        assert events == Counter({deadline.pk: 1 for deadline in deadlines})
        # Two recipients each: the handläggare and the functional mailbox (the unit's
        # KSA comes at the escalation).
        assert OutboundEmail.objects.count() == CASES * 2

        sent = _in_threads(outbox_deliver_pending)
        assert sum(sent) == CASES * 2

    delivered = Counter((m.to[0], m.extra_headers["X-Kardborre-Outbox-Id"]) for m in mail.outbox)
    assert len(delivered) == CASES * 2
    assert set(delivered.values()) == {1}
    assert not OutboundEmail.objects.exclude(status=OutboundEmail.Status.SENT).exists()
