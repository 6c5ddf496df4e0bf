"""Delivery against a real SMTP server and a real Celery worker on the real Redis broker."""

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.db import transaction

from notifications import catalogue, services
from notifications.models import OutboundEmail
from tests.notifications.smtp import SmtpServer

BASE_DIR = Path(django_settings.BASE_DIR)
NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)


def _enqueue(key, to="karin@example.se"):
    return services.email_enqueue(
        idempotency_key=key,
        to=to,
        template=catalogue.DEADLINE_REMINDER,
        context={
            "kind_label": "Kvittera inskrivningsmeddelandet",
            "due_at": NOON,
            "organisation": "Södermalm biståndsenhet äldre",
        },
    )


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.django_settings(settings)
    yield server
    server.stop()


@pytest.mark.django_db
def test_smtp_down_rows_stay_pending_and_are_delivered_when_it_returns(smtp):
    # The server is not started: connections to its port are refused.
    with time_machine.travel(NOON, tick=False) as traveller:
        emails = [_enqueue(f"k{n}", to=f"person{n}@example.se") for n in range(3)]
        assert services.outbox_deliver_pending() == 0
        for email in emails:
            email.refresh_from_db()
            assert email.status == OutboundEmail.Status.PENDING
            assert email.attempts == 1
            assert "refused" in email.last_error.lower()
            assert email.next_attempt_at == NOON + dt.timedelta(minutes=1)

        smtp.start()
        # Backoff: nothing is retried before the next attempt is due.
        assert services.outbox_deliver_pending() == 0
        assert smtp.sink.messages == []

        traveller.shift(dt.timedelta(minutes=1))
        assert services.outbox_deliver_pending() == 3
    assert sorted(m["To"] for m in smtp.sink.messages) == [
        "person0@example.se",
        "person1@example.se",
        "person2@example.se",
    ]
    message = smtp.sink.messages[0]
    assert message["Subject"].strip() == (
        "Påminnelse: Kvittera inskrivningsmeddelandet senast 23 nov 2026 12:00"
    )
    assert message.is_multipart()  # text and HTML
    for email in emails:
        email.refresh_from_db()
        assert (email.status, email.attempts, email.last_error) == ("SENT", 2, "")


def _worker_env(*, smtp_port: int, var_dir: str) -> dict:
    """The worker reaches the test database (not the one in DATABASE_URL) and our SMTP."""
    url = urlsplit(os.environ["DATABASE_URL"])
    test_db = django_settings.DATABASES["default"]["NAME"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=urlunsplit(url._replace(path=f"/{test_db}")),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        EMAIL_TIMEOUT="10",
        # A short lease so that the restarted worker may take the row over at once.
        NOTIFICATIONS_SENDING_LEASE_SECONDS="1",
        KARDBORRE_VAR_DIR=var_dir,
        PYTHONUNBUFFERED="1",
    )
    return env


def _start_worker(env, log_path) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(  # noqa: S603 (our own worker, fixed arguments)
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_for(condition, *, timeout: float, what: str, log_path=None, every=0.1):
    """Poll a condition (bounded): real processes, so real waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    log = Path(log_path).read_text()[-3000:] if log_path else ""
    raise AssertionError(f"timed out waiting for {what}\n{log}")


def _status(pk):
    return OutboundEmail.objects.values_list("status", "attempts").get(pk=pk)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_send_delivers_exactly_once_after_restart():
    from notifications.tasks import deliver_email, deliver_pending

    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.flushdb()  # no message left from an earlier test run
    smtp = SmtpServer()
    smtp.sink.hang = True
    smtp.start()
    workers = []
    with tempfile.TemporaryDirectory() as var_dir:
        log_path = Path(var_dir) / "worker.log"
        env = _worker_env(smtp_port=smtp.port, var_dir=var_dir)
        try:
            with transaction.atomic():
                email = _enqueue("kill-test")
            # Committed: deliver_email(pk) is on the Redis queue now.
            workers.append(_start_worker(env, log_path))
            assert smtp.sink.entered.wait(timeout=40), Path(log_path).read_text()[-3000:]
            # The worker has claimed the row and is in the middle of the SMTP DATA.
            assert _status(email.pk) == ("SENDING", 1)

            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=10)
            smtp.sink.hang = False
            smtp.sink.release.set()
            assert smtp.sink.messages == []
            assert _status(email.pk) == ("SENDING", 1)  # nothing lost, nothing sent

            workers.append(_start_worker(env, log_path))

            def delivered():
                # The periodic safety net, as beat would run it every minute.
                deliver_pending.delay()
                return _status(email.pk)[0] == "SENT"

            _wait_for(
                delivered, timeout=40, what="delivery after restart", log_path=log_path, every=0.5
            )
            assert _status(email.pk) == ("SENT", 2)

            # The original message, redelivered by the broker (or any duplicate), is a
            # no-op: let the worker take one more and stop it gracefully.
            deliver_email.delay(email.pk)
            _wait_for(lambda: broker.llen("celery") == 0, timeout=20, what="queue drained")
            os.killpg(workers[1].pid, signal.SIGTERM)
            workers[1].wait(timeout=30)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=10)
            smtp.sink.release.set()
            smtp.stop()
            broker.flushdb()

    assert len(smtp.sink.messages) == 1
    message = smtp.sink.messages[0]
    assert message["To"] == "karin@example.se"
    assert message["X-Kardborre-Outbox-Id"] == str(email.pk)
    assert services.email_deliver(email_id=email.pk) is False
    assert _status(email.pk) == ("SENT", 2)
