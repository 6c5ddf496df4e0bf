"""Periodic work of oversight (Celery beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .dashboard import snapshots_refresh_defaults


@shared_task(name="oversight.tasks.refresh_dashboards", ignore_result=True)
def refresh_dashboards() -> int:
    """Recompute each kommun's default MAS dashboard snapshot."""
    return snapshots_refresh_defaults()
