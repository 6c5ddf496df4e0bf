"""Periodic work of the deviation register (Celery beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task(name="workflows.deviations.tasks.remind_late_answers", ignore_result=True)
def remind_late_answers() -> int:
    return services.deviations_remind_late_answers()
