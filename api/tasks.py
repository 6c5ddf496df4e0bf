"""Celery tasks of the webhook outbox: thin wrappers around ``api.webhooks``.

Idempotent like the email tasks: a row is claimed before it is sent, so a redelivered
message or the periodic task running alongside never posts a row twice at once.
"""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import webhooks

logger = logging.getLogger(__name__)


@shared_task(name="api.tasks.deliver_pending_webhooks", ignore_result=True)
def deliver_pending_webhooks() -> int:
    """After a commit that wrote deliveries, and on beat: deliver every due row, retry
    failed ones after their backoff, take over rows whose sender died mid-send."""
    try:
        return webhooks.webhooks_deliver_pending()
    except SoftTimeLimitExceeded:  # the untried rows were released; beat carries on
        logger.warning("webhook delivery stopped by the time limit")
        return 0
