"""/health/live, /health/ready, /metrics, beat's heartbeat and the late-sweep alert."""

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from celery.beat import PersistentScheduler
from django.conf import settings as django_settings
from django.db import OperationalError
from django.test import Client

from notifications import catalogue, services
from workflows.beat import HeartbeatScheduler, beat_heartbeat
from workflows.models import Heartbeat
from workflows.services import heartbeat_record
from workflows.tasks import sweep_deadlines

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pending_email():
    return services.email_enqueue(
        idempotency_key="health:1",
        to="karin.secret@example.se",
        template=catalogue.DEADLINE_REMINDER,
        context={"kind_label": "Kvittera", "due_at": NOW, "organisation": "Enhet"},
    )


@pytest.fixture(autouse=True)
def _migrations_checked_afresh():
    from config import health

    health._migrations_applied = False
    yield
    health._migrations_applied = False


def test_live_needs_nothing():
    response = Client().get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_without_a_beat_heartbeat_is_unavailable():
    with time_machine.travel(NOW, tick=False):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["migrations"] == {"ok": True, "detail": "applied"}
    assert body["checks"]["beat"]["ok"] is False
    assert body["checks"]["beat"]["age_seconds"] is None


@pytest.mark.django_db
def test_ready_with_fresh_beat_reports_backlog_without_personal_data():
    with time_machine.travel(NOW, tick=False) as traveller:
        _pending_email()
        heartbeat_record(name=Heartbeat.Name.BEAT, at=NOW)
        traveller.shift(dt.timedelta(seconds=90))
        response = Client().get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert body["checks"]["beat"]["age_seconds"] == 90
        # Reported, not judged: no sweep yet and mail waiting keep the node ready.
        assert body["checks"]["sweep"]["ok"] is False
        assert body["checks"]["outbox"]["backlog"] == 1
        assert body["checks"]["outbox"]["oldest_pending_age_seconds"] == 90
        assert "karin" not in response.content.decode()

        # Beat silent for more than 3 minutes: not ready.
        traveller.shift(dt.timedelta(seconds=91))
        response = Client().get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["beat"] == {
            "ok": False,
            "age_seconds": 181,
            "max_age_seconds": 180,
        }


@pytest.mark.django_db
def test_ready_notices_an_unreachable_broker(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"
    heartbeat_record(name=Heartbeat.Name.BEAT, at=dt.datetime.now(dt.UTC))
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_ready_notices_unapplied_migrations():
    heartbeat_record(name=Heartbeat.Name.BEAT, at=dt.datetime.now(dt.UTC))
    with mock.patch(
        "config.health.MigrationExecutor.migration_plan", return_value=[("m", False)] * 2
    ):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "detail": "2 not applied"}


@pytest.mark.django_db
def test_ready_notices_a_database_outage():
    with mock.patch("config.health.check_database", return_value=(False, "OperationalError")):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "detail": "OperationalError"}


@pytest.mark.django_db
def test_the_sweep_task_writes_its_last_finished_row():
    with time_machine.travel(NOW, tick=False):
        sweep_deadlines()
    row = Heartbeat.objects.get(name=Heartbeat.Name.SWEEP)
    assert row.at == NOW
    assert row.started_at == NOW
    assert row.duration_seconds >= 0


@pytest.mark.django_db
def test_beat_logs_an_alert_when_the_sweep_is_late(caplog):
    with caplog.at_level(logging.ERROR, logger="workflows.beat"):
        heartbeat_record(name=Heartbeat.Name.SWEEP, at=NOW)
        assert beat_heartbeat(now=NOW + dt.timedelta(seconds=180)) is None
        alert = beat_heartbeat(now=NOW + dt.timedelta(seconds=181))
    assert alert.startswith("deadline sweep late: last finished 181 s ago")
    assert [r.getMessage() for r in caplog.records] == [alert]
    assert Heartbeat.objects.get(name=Heartbeat.Name.BEAT).at == NOW + dt.timedelta(seconds=181)


@pytest.mark.django_db
def test_beat_alerts_when_no_sweep_ever_finished_since_it_started():
    assert beat_heartbeat(now=NOW, started_at=NOW - dt.timedelta(seconds=60)) is None
    alert = beat_heartbeat(now=NOW, started_at=NOW - dt.timedelta(seconds=181))
    assert alert.startswith("deadline sweep late: no sweep has finished since beat started")


@pytest.mark.django_db(transaction=True)  # beat runs outside any transaction
def test_the_scheduler_writes_heartbeats_and_survives_a_database_outage(tmp_path, caplog):
    from config.celery import app

    scheduler = HeartbeatScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=True)
    with mock.patch.object(PersistentScheduler, "tick", return_value=60.0):
        # Never sleeps longer than the heartbeat period.
        assert scheduler.tick() == django_settings.KARDBORRE_BEAT_HEARTBEAT_SECONDS
        assert Heartbeat.objects.filter(name=Heartbeat.Name.BEAT).exists()
        scheduler._heartbeat_due = 0
        with (
            mock.patch("workflows.beat.beat_heartbeat", side_effect=OperationalError("down")),
            caplog.at_level(logging.WARNING, logger="workflows.beat"),
        ):
            assert scheduler.tick() == django_settings.KARDBORRE_BEAT_HEARTBEAT_SECONDS
    assert "beat heartbeat could not be written" in caplog.text


# --- /metrics ---------------------------------------------------------------------------


def test_metrics_are_off_unless_configured(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert Client().get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_network(settings):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    client = Client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 403
    assert client.post("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 405


@pytest.mark.django_db
def test_metrics_report_sweep_outbox_deadlines_and_latency(settings):
    settings.METRICS_TOKEN = "s3cret-token"
    client = Client()
    with time_machine.travel(NOW, tick=False) as traveller:
        _pending_email()
        heartbeat_record(name=Heartbeat.Name.SWEEP, at=NOW, started_at=NOW, duration_seconds=1.25)
        heartbeat_record(name=Heartbeat.Name.BEAT, at=NOW)
        client.get("/health/live")
        traveller.shift(dt.timedelta(seconds=42))
        text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").content.decode()
    assert "kardborre_sweep_lag_seconds 42.0" in text
    assert "kardborre_sweep_duration_seconds 1.25" in text
    assert "kardborre_beat_heartbeat_age_seconds 42.0" in text
    assert "kardborre_outbox_backlog 1.0" in text
    assert 'kardborre_outbox_emails{status="PENDING"} 1.0' in text
    assert "kardborre_outbox_failed 0.0" in text
    assert "kardborre_outbox_oldest_pending_age_seconds 42.0" in text
    assert (
        'kardborre_http_request_duration_seconds_count{method="GET",route="health/live",status="2xx"}'
        in text
    )
    assert "karin" not in text


@pytest.mark.django_db
def test_metrics_count_open_and_overdue_deadlines_per_kind(settings):
    from tests.notifications.factories import ProcessFactory, build_registry
    from workflows.services import deadline_open

    settings.METRICS_TOKEN = "t"
    reg = build_registry()
    with time_machine.travel(NOW - dt.timedelta(hours=2), tick=False):
        for due_at in (NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=5)):
            deadline_open(
                process=ProcessFactory(),
                kind="INSKRIVNING_ACK",
                responsible_organisation=reg.bistand,
                due_at=due_at,
            )
    with time_machine.travel(NOW, tick=False):
        text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert 'kardborre_deadlines_open{kind="INSKRIVNING_ACK"} 2.0' in text
    assert 'kardborre_deadlines_overdue{kind="INSKRIVNING_ACK"} 1.0' in text


# --- The embedded default -----------------------------------------------------------------


def test_health_works_on_the_embedded_default(tmp_path):
    """SQLite and kombu's filesystem broker, as `make demo` runs: ready once beat beats."""
    base = Path(django_settings.BASE_DIR)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    }
    env.update(KARDBORRE_VAR_DIR=str(tmp_path), DEBUG="true", PYTHONUNBUFFERED="1")
    script = textwrap.dedent(
        """
        import django, json
        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from django.utils import timezone
        call_command("migrate", verbosity=0)
        client = Client(HTTP_HOST="localhost")
        before = client.get("/health/ready")
        from workflows.beat import beat_heartbeat
        beat_heartbeat()
        after = client.get("/health/ready")
        print(json.dumps([client.get("/health/live").status_code, before.status_code,
                          after.status_code, after.json()]))
        """
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed script)
        [sys.executable, "-c", script],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    live, before, after, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert (live, before, after) == (200, 503, 200)
    assert body["checks"]["database"] == {"ok": True, "detail": "sqlite"}
    assert body["checks"]["broker"]["ok"] is True
