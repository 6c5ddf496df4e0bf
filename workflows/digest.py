"""The daily digest: what is overdue and what falls due today, per user, once a day.

The deadlines are ours (workflows); the outbox, the template and who wants a digest
are the notifications layer's."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from coordination import clock
from notifications import catalogue
from notifications.models import OutboundEmail
from notifications.selectors import digest_recipients
from notifications.services import email_enqueue

from .links import absolute_url
from .selectors import digest_for_user


def digest_send_all(*, now=None) -> int:
    """Queue today's digest for every user who has something due or overdue.

    Idempotent per user and day: running it twice (two beats, a retry) sends one.
    """
    now = now or timezone.now()
    day = clock.local_date(now)
    settings_url = absolute_url(reverse("notifications:preferences"))
    queued = 0
    for user in digest_recipients():
        with translation.override(settings.LANGUAGE_CODE):
            digest = digest_for_user(user=user, now=now)
        if not digest["due_today"] and not digest["overdue"]:
            continue
        key = f"digest:{user.pk}:{day.isoformat()}"
        if OutboundEmail.objects.filter(idempotency_key=key).exists():
            continue
        email_enqueue(
            idempotency_key=key,
            to=user.email,
            template=catalogue.DAILY_DIGEST,
            context={"day": now, "settings_url": settings_url, **digest},
        )
        queued += 1
    return queued
