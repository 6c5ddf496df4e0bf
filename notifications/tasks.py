"""Celery tasks of the outbox: thin wrappers that take ids and call one service.

Both are idempotent: a row is claimed before it is sent (see notifications.services),
so a redelivered message (acks_late, a worker lost) or the periodic safety net
running alongside never sends a row twice.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.tasks.deliver_email", ignore_result=True)
def deliver_email(email_id: int) -> bool:
    """Send one row right after the transaction that wrote it committed."""
    try:
        return services.email_deliver(email_id=email_id)
    except SoftTimeLimitExceeded:  # the row is recorded or released; beat retries it
        logger.warning("delivery of email %s stopped by the time limit", email_id)
        return False


@shared_task(name="notifications.tasks.deliver_pending", ignore_result=True)
def deliver_pending() -> int:
    """Safety net on beat: send every due row, retry failed ones after their backoff,
    take over rows whose sender died mid-send (expired lease)."""
    return services.outbox_deliver_pending()
