"""``/health/live`` and ``/health/ready`` for load balancers and orchestrators.

No login, no personal data: only whether each dependency answers, ages in seconds and
counts. ``live`` says the web process runs (it touches nothing else); ``ready`` says it
can serve: the database answers, the broker answers, every migration is applied and beat
is alive (its heartbeat younger than ``KARDBORRE_BEAT_MAX_AGE_SECONDS``). The outbox
backlog and the sweep's lag are reported, not judged: SMTP being down must not take the
web nodes out of the load balancer.
"""

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

from notifications.selectors import outbox_backlog
from workflows.models import Heartbeat
from workflows.selectors import heartbeats

logger = logging.getLogger(__name__)

_migrations_applied = False  # once true, it stays true for this process


def check_database() -> tuple[bool, str]:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return False, error.__class__.__name__
    return True, connections[DEFAULT_DB_ALIAS].vendor


def check_broker() -> tuple[bool, str]:
    url = settings.CELERY_BROKER_URL
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}))
    try:
        with Connection(url, transport_options=options, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            transport = conn.transport_cls
    except Exception as error:
        return False, error.__class__.__name__
    return True, str(transport)


def check_migrations() -> tuple[bool, str]:
    global _migrations_applied
    if not _migrations_applied:
        try:
            executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as error:
            return False, error.__class__.__name__
        if pending:
            return False, f"{len(pending)} not applied"
        _migrations_applied = True
    return True, "applied"


def status(*, now=None) -> tuple[bool, dict]:
    """(ready, report): what ``/health/ready`` answers."""

    now = now or timezone.now()
    checks = {}
    for name, check in (
        ("database", check_database),
        ("broker", check_broker),
        ("migrations", check_migrations),
    ):
        ok, detail = check()
        checks[name] = {"ok": ok, "detail": detail}
    if checks["database"]["ok"] and checks["migrations"]["ok"]:
        beats = heartbeats(now=now)
        beat_age = beats[Heartbeat.Name.BEAT]["age"]
        limit = settings.KARDBORRE_BEAT_MAX_AGE_SECONDS
        checks["beat"] = {
            "ok": beat_age is not None and beat_age <= limit,
            "age_seconds": _round(beat_age),
            "max_age_seconds": limit,
        }
        sweep_age = beats[Heartbeat.Name.SWEEP]["age"]
        checks["sweep"] = {
            "ok": sweep_age is not None and sweep_age <= settings.KARDBORRE_SWEEP_MAX_AGE_SECONDS,
            "last_finished_age_seconds": _round(sweep_age),
            "informational": True,
        }
        backlog = outbox_backlog(now=now)
        checks["outbox"] = {
            "ok": True,
            "backlog": backlog["backlog"],
            "failed": backlog["failed"],
            "oldest_pending_age_seconds": _round(backlog["oldest_pending_age"]),
            "informational": True,
        }
    else:
        checks["beat"] = {"ok": False, "detail": "database unavailable"}
    ready = all(check["ok"] for check in checks.values() if not check.get("informational"))
    return ready, checks


def _round(value):
    return None if value is None else round(value, 1)


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    ok, checks = status()
    if not ok:
        logger.warning(
            "not ready: %s", ", ".join(name for name, check in checks.items() if not check["ok"])
        )
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )
