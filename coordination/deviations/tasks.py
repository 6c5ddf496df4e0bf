"""Periodic work of the deviation register (Celery beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services
from .dashboard import snapshots_refresh_defaults


@shared_task(name="coordination.deviations.tasks.remind_late_answers", ignore_result=True)
def remind_late_answers() -> int:
    return services.deviations_remind_late_answers()


@shared_task(name="coordination.deviations.tasks.refresh_dashboards", ignore_result=True)
def refresh_dashboards() -> int:

    return snapshots_refresh_defaults()
