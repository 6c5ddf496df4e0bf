from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def record_unanswered_invitations():
    """At meeting time, record the invitations still without an answer (and draft the
    deviations for organisations that never answered). Idempotent."""
    return services.invitations_record_unanswered_at_meeting()
