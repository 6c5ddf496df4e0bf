"""Celery beat's scheduler with a heartbeat and a watch on the sweep.

``CELERY_BEAT_SCHEDULER`` points here. Besides sending the schedule, beat writes its own
heartbeat row every ``KARDBORRE_BEAT_HEARTBEAT_SECONDS`` and logs an ERROR line when the
last *finished* deadline sweep is older than ``KARDBORRE_SWEEP_MAX_AGE_SECONDS``: beat
keeps queuing whether or not a worker consumes, so only the finished sweep says that
deadlines are being watched. Neither may stop beat: a database outage is logged and
the next tick tries again.
"""

import logging
import time

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from .models import Heartbeat
from .selectors import heartbeats
from .services import heartbeat_record

logger = logging.getLogger(__name__)


def beat_heartbeat(*, now=None, started_at=None) -> str | None:
    """Write beat's heartbeat; return the late-sweep alert line (also logged), if any.

    ``started_at`` is when this beat started: a sweep that never finished is late only
    once beat has been up longer than the allowed age.
    """

    now = now or timezone.now()
    heartbeat_record(name=Heartbeat.Name.BEAT, at=now)
    limit = settings.KARDBORRE_SWEEP_MAX_AGE_SECONDS
    sweep = heartbeats(now=now)[Heartbeat.Name.SWEEP]
    if sweep["age"] is None:
        if started_at is None or (now - started_at).total_seconds() <= limit:
            return None
        alert = (
            "deadline sweep late: no sweep has finished since beat started at "
            f"{started_at:%Y-%m-%dT%H:%M:%SZ}; are the Celery workers running and consuming?"
        )
    elif sweep["age"] > limit:
        alert = (
            f"deadline sweep late: last finished {sweep['age']:.0f} s ago "
            f"(at {sweep['row'].at:%Y-%m-%dT%H:%M:%SZ}, limit {limit} s); "
            "are the Celery workers running and consuming?"
        )
    else:
        return None
    logger.error(alert)
    return alert


class HeartbeatScheduler(PersistentScheduler):
    """``PersistentScheduler`` plus ``beat_heartbeat`` every few seconds."""

    def __init__(self, *args, **kwargs):
        self._heartbeat_due = 0.0
        self._started_at = timezone.now()
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        interval = settings.KARDBORRE_BEAT_HEARTBEAT_SECONDS
        if time.monotonic() >= self._heartbeat_due:
            self._heartbeat_due = time.monotonic() + interval
            close_old_connections()  # a restarted database: a fresh connection
            try:
                beat_heartbeat(started_at=self._started_at)
            except Exception:
                logger.warning("beat heartbeat could not be written", exc_info=True)
        return min(super().tick(*args, **kwargs), interval)
