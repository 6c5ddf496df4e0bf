"""Leases, time limits and bounds of outbox delivery (issue: reliability under faults).

A delivery batch that stops for any reason releases the rows it has not tried, records
the message in flight honestly, renews its lease while it runs, and never runs unbounded.
"""

import datetime as dt
import logging
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from notifications import catalogue, services
from notifications.models import OutboundEmail

NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)


def _enqueue(n):
    return [
        services.email_enqueue(
            idempotency_key=f"limits:{i}",
            to=f"person{i}@example.se",
            template=catalogue.DEADLINE_REMINDER,
            context={"kind_label": "Kvittera", "due_at": NOON, "organisation": "Enhet"},
        )
        for i in range(n)
    ]


def _rows(emails):
    by_pk = {row.pk: row for row in OutboundEmail.objects.filter(pk__in=[e.pk for e in emails])}
    return [by_pk[e.pk] for e in emails]


def test_production_defaults_recover_within_two_minutes():
    """The lease of a dead sender runs out in about a minute; beat's safety net runs
    every minute: recovery after a crash < 2 minutes. The limits nest."""
    from config import settings as defaults

    # The module's own defaults (the test run does not set these variables).
    assert defaults.NOTIFICATIONS_SENDING_LEASE_SECONDS == 60
    assert defaults.CELERY_BEAT_SCHEDULE["deliver-pending-emails"]["schedule"] == 60.0
    assert defaults.CELERY_BEAT_SCHEDULE["sweep-deadlines"]["schedule"] == 60.0
    lease = defaults.NOTIFICATIONS_SENDING_LEASE_SECONDS
    assert lease + defaults.CELERY_BEAT_SCHEDULE["deliver-pending-emails"]["schedule"] <= 120
    # One message (EMAIL_TIMEOUT) fits in a third of the lease, the renewal period.
    assert lease / 3 > defaults.EMAIL_TIMEOUT
    assert defaults.NOTIFICATIONS_DELIVER_MAX_SECONDS < defaults.CELERY_TASK_SOFT_TIME_LIMIT
    assert defaults.CELERY_TASK_SOFT_TIME_LIMIT < defaults.CELERY_TASK_TIME_LIMIT
    assert defaults.NOTIFICATIONS_DELIVER_MAX_ROWS >= defaults.NOTIFICATIONS_BATCH_SIZE


@pytest.mark.django_db
def test_soft_time_limit_mid_send_ends_the_batch_cleanly(caplog):
    """The limit hits while the second message is in the SMTP session (no 250 yet):
    the first is SENT, the second counts one attempt and is due again after the backoff,
    the three never tried are released at once without an attempt counted."""
    real_send = EmailBackend.send_messages
    calls = []

    def send(self, messages):
        calls.append(messages[0].to[0])
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        return real_send(self, messages)

    with time_machine.travel(NOON, tick=False):
        emails = _enqueue(5)
        with (
            mock.patch.object(EmailBackend, "send_messages", send),
            caplog.at_level(logging.WARNING, logger="notifications.services"),
        ):
            assert services.outbox_deliver_pending() == 1
        rows = _rows(emails)
    assert [m.to for m in mail.outbox] == [["person0@example.se"]]
    assert (rows[0].status, rows[0].attempts) == ("SENT", 1)
    assert (rows[1].status, rows[1].attempts) == ("PENDING", 1)
    assert rows[1].last_error == "stopped mid-send by SoftTimeLimitExceeded"
    assert rows[1].next_attempt_at == NOON + dt.timedelta(seconds=60)
    for row in rows[2:]:
        assert (row.status, row.attempts, row.claimed_at) == ("PENDING", 0, None)
        assert row.next_attempt_at == NOON  # due again at once
    summaries = [r.getMessage() for r in caplog.records if "outbox batch" in r.getMessage()]
    assert summaries == [
        "outbox batch: 1 of 5 failed, 3 released untried, stopped by SoftTimeLimitExceeded; "
        "first error: stopped mid-send by SoftTimeLimitExceeded"
    ]

    # The next run sends the released rows; the interrupted one after its backoff.
    with time_machine.travel(NOON, tick=False) as traveller:
        assert services.outbox_deliver_pending() == 3
        traveller.shift(dt.timedelta(seconds=60))
        assert services.outbox_deliver_pending() == 1
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{i}@example.se" for i in range(5)]


@pytest.mark.django_db
def test_soft_time_limit_after_the_server_accepted_records_sent():
    """The limit arrives after the 250 but before the row is marked: it is SENT, not
    failed, so it is not sent again."""
    real_mark_sent = services._mark_sent
    interrupted = []

    def mark_sent(email, rendered):
        if not interrupted:
            interrupted.append(email.pk)
            raise SoftTimeLimitExceeded()
        return real_mark_sent(email, rendered)

    with time_machine.travel(NOON, tick=False):
        emails = _enqueue(3)
        with mock.patch.object(services, "_mark_sent", mark_sent):
            assert services.outbox_deliver_pending() == 1
        rows = _rows(emails)
        assert (rows[0].status, rows[0].attempts, rows[0].last_error) == ("SENT", 1, "")
        assert [row.status for row in rows[1:]] == ["PENDING", "PENDING"]
        assert services.outbox_deliver_pending() == 2
        assert services.outbox_deliver_pending() == 0
    assert len(mail.outbox) == 3  # each once


@pytest.mark.django_db
def test_the_task_returns_cleanly_on_the_time_limit():
    from notifications.tasks import deliver_email

    with time_machine.travel(NOON, tick=False):
        (email,) = _enqueue(1)
        with mock.patch.object(EmailBackend, "send_messages", side_effect=SoftTimeLimitExceeded):
            assert deliver_email(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("PENDING", 1)


@pytest.mark.django_db
def test_shutdown_mid_batch_releases_untried_rows_and_reraises():
    """A warm shutdown or a lost database connection (anything raised from outside)."""
    real_send = EmailBackend.send_messages

    def send(self, messages):
        if messages[0].to[0] == "person1@example.se":
            raise SystemExit()
        return real_send(self, messages)

    with time_machine.travel(NOON, tick=False):
        emails = _enqueue(4)
        with mock.patch.object(EmailBackend, "send_messages", send), pytest.raises(SystemExit):
            services.outbox_deliver_pending()
        rows = _rows(emails)
    assert [(r.status, r.attempts) for r in rows] == [
        ("SENT", 1),
        ("PENDING", 1),
        ("PENDING", 0),
        ("PENDING", 0),
    ]


@pytest.mark.django_db
def test_a_long_batch_renews_its_lease(settings):
    """Each message takes 30 s here; the lease (60 s) of the rows still waiting in the
    batch is renewed every 20 s, so a live sender never loses them to another."""
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 60
    real_send = EmailBackend.send_messages
    seen = []
    with time_machine.travel(NOON, tick=False) as traveller:
        clock = [0.0]

        def send(self, messages):
            # What another sender would find: the last row's lease, at this moment.
            seen.append(OutboundEmail.objects.get(pk=emails[-1].pk).next_attempt_at)
            traveller.shift(dt.timedelta(seconds=30))
            clock[0] += 30
            return real_send(self, messages)

        emails = _enqueue(5)
        with (
            mock.patch.object(EmailBackend, "send_messages", send),
            mock.patch.object(services.time, "monotonic", lambda: clock[0]),
        ):
            assert services.outbox_deliver_pending() == 5
    # Claimed at noon (lease to 12:01); renewed before each later message.
    assert seen[0] == NOON + dt.timedelta(seconds=60)
    assert seen[1:] == [NOON + dt.timedelta(seconds=30 * k + 60) for k in range(1, 5)]
    assert all(row.status == "SENT" for row in _rows(emails))


@pytest.mark.django_db
def test_a_dead_senders_rows_are_taken_over_after_one_lease(settings):
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 60
    with time_machine.travel(NOON, tick=False) as traveller:
        emails = _enqueue(3)
        assert len(services._claim(now=NOON)) == 3  # a sender claims them and dies
        traveller.shift(dt.timedelta(seconds=59))
        assert services.outbox_deliver_pending() == 0
        traveller.shift(dt.timedelta(seconds=1))
        assert services.outbox_deliver_pending() == 3
    assert all((r.status, r.attempts) == ("SENT", 2) for r in _rows(emails))


@pytest.mark.django_db
def test_delivery_is_bounded_in_rows_and_hands_the_rest_on(settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 2
    settings.NOTIFICATIONS_DELIVER_MAX_ROWS = 3
    _enqueue(5)
    with mock.patch.object(services, "outbox_schedule_delivery") as schedule:
        assert services.outbox_deliver_pending() == 3
        schedule.assert_called_once_with()
        assert services.outbox_deliver_pending() == 2
        schedule.assert_called_once_with()  # everything done: nothing handed on
    assert OutboundEmail.objects.filter(status="PENDING").count() == 0


@pytest.mark.django_db
def test_delivery_is_bounded_in_time(settings):
    """No new batch is claimed once the time budget is spent."""
    settings.NOTIFICATIONS_BATCH_SIZE = 2
    clock = [0.0]
    real_send = EmailBackend.send_messages

    def send(self, messages):
        clock[0] += 50
        return real_send(self, messages)

    _enqueue(6)
    with (
        mock.patch.object(EmailBackend, "send_messages", send),
        mock.patch.object(services.time, "monotonic", lambda: clock[0]),
        mock.patch.object(services, "outbox_schedule_delivery") as schedule,
    ):
        # 120 s budget: batch 1 (100 s) then batch 2 (200 s) — over, stop.
        assert services.outbox_deliver_pending(seconds=120) == 4
        schedule.assert_called_once_with()
    assert OutboundEmail.objects.filter(status="PENDING").count() == 2


@pytest.mark.django_db
def test_smtp_down_logs_one_summary_line_per_batch(caplog):
    with (
        mock.patch.object(EmailBackend, "open", side_effect=ConnectionRefusedError(111, "refused")),
        caplog.at_level(logging.INFO, logger="notifications.services"),
    ):
        _enqueue(4)
        assert services.outbox_deliver_pending() == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        "outbox batch: 4 of 4 failed, 0 released untried; first error: [Errno 111] refused"
    ]
    # The per-row detail is still there, below WARNING.
    assert len([r for r in caplog.records if r.levelno == logging.INFO]) == 4


@pytest.mark.django_db
def test_message_id_is_stable_per_row_across_attempts():
    first, second = _enqueue(2)
    ids = {services._message(first, None).extra_headers["Message-ID"] for _ in range(3)}
    first.attempts = 5
    ids.add(services._message(first, None).extra_headers["Message-ID"])
    assert len(ids) == 1
    assert services._message(second, None).extra_headers["Message-ID"] not in ids


@pytest.mark.django_db
def test_admin_outbox_list_shows_the_last_error(admin_client):
    with mock.patch.object(EmailBackend, "send_messages", side_effect=OSError("451 try later")):
        _enqueue(1)
        services.outbox_deliver_pending()
    page = admin_client.get("/admin/notifications/outboundemail/")
    assert page.status_code == 200
    assert "451 try later" in page.content.decode()


@pytest.mark.django_db
def test_a_stalled_sender_does_not_send_rows_another_has_taken_over(settings):
    """Sender A stalls past its lease in the middle of its first message; sender B takes
    every row over. A notices at its next renewal and leaves the untried rows to B: only
    the message that was in flight goes out twice."""
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 60
    real_send = EmailBackend.send_messages
    clock = [0.0]
    taken_over = []
    with time_machine.travel(NOON, tick=False) as traveller:
        emails = _enqueue(4)

        def send(self, messages):
            if not taken_over:
                traveller.shift(dt.timedelta(seconds=61))  # A stalls past its lease
                clock[0] += 61
                taken_over.extend(services._claim(now=timezone.now()))  # B claims
            return real_send(self, messages)

        rows = services._claim(now=NOON)
        with (
            mock.patch.object(EmailBackend, "send_messages", send),
            mock.patch.object(services.time, "monotonic", lambda: clock[0]),
        ):
            services._send_claimed(rows)
            assert len(taken_over) == 4
            assert services._send_claimed(taken_over) == 4
    assert sorted(m.to[0] for m in mail.outbox) == [
        "person0@example.se",  # in flight when A stalled: the one duplicate
        "person0@example.se",
        "person1@example.se",
        "person2@example.se",
        "person3@example.se",
    ]
    assert all(row.status == "SENT" for row in _rows(emails))
