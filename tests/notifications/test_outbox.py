import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction

from notifications import catalogue, services
from notifications.models import OutboundEmail
from tests.notifications.factories import ProcessFactory

STOCKHOLM_NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)  # 12:00 in Stockholm


def _enqueue(key="k1", to="karin@example.se", **kwargs):
    return services.email_enqueue(
        idempotency_key=key,
        to=to,
        template=catalogue.DEADLINE_REMINDER,
        context={
            "kind_label": "Kvittera inskrivningsmeddelandet",
            "due_at": STOCKHOLM_NOON,
            "organisation": "Södermalm biståndsenhet äldre",
            "overdue": False,
        },
        **kwargs,
    )


@pytest.mark.django_db
def test_enqueue_renders_swedish_and_delivery_sends_once():
    process = ProcessFactory()
    email = _enqueue(process=process)
    assert email.status == OutboundEmail.Status.PENDING
    assert email.subject == "Påminnelse: Kvittera inskrivningsmeddelandet senast 23 nov 2026 12:00"
    assert "Södermalm biståndsenhet äldre" in email.body_text
    assert "http://localhost:8000/" in email.body_text  # the case link (site root fallback)

    assert services.outbox_deliver_pending() == 1
    assert services.outbox_deliver_pending() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["karin@example.se"]
    assert message.subject == email.subject
    assert message.alternatives[0].mimetype == "text/html"
    assert message.extra_headers["Message-ID"].endswith("@kardborre.local>")
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None


@pytest.mark.django_db
def test_same_idempotency_key_is_one_email():
    first = _enqueue(key="deadline:1:rung:0:karin@example.se")
    second = _enqueue(key="deadline:1:rung:0:karin@example.se", to="other@example.se")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    services.outbox_deliver_pending()
    assert [m.to for m in mail.outbox] == [["karin@example.se"]]


@pytest.mark.django_db
def test_delivering_a_sent_row_again_sends_nothing():
    email = _enqueue()
    assert services.email_deliver(email_id=email.pk) is True
    assert services.email_deliver(email_id=email.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_enqueue_in_a_rolled_back_transaction_sends_nothing():
    with mock.patch("notifications.tasks.deliver_email.delay") as delay:
        with pytest.raises(RuntimeError), transaction.atomic():
            _enqueue(key="rolled-back")
            raise RuntimeError("the transition failed after the email was enqueued")
        assert not delay.called
        assert not OutboundEmail.objects.exists()
        assert services.outbox_deliver_pending() == 0
        assert mail.outbox == []

        # The same call in a transaction that commits queues exactly one delivery.
        with transaction.atomic():
            email = _enqueue(key="committed")
        delay.assert_called_once_with(email.pk)


@pytest.mark.django_db
def test_stale_sending_row_is_taken_over_after_the_lease(settings):
    settings.NOTIFICATIONS_SENDING_LEASE_SECONDS = 600
    with time_machine.travel(STOCKHOLM_NOON, tick=False) as traveller:
        email = _enqueue()
        # A worker claims the row and dies before sending.
        claimed = services._claim(now=STOCKHOLM_NOON, ids=[email.pk])
        assert [row.pk for row in claimed] == [email.pk]
        email.refresh_from_db()
        assert email.status == OutboundEmail.Status.SENDING

        assert services.outbox_deliver_pending() == 0  # still leased
        traveller.shift(dt.timedelta(seconds=601))
        assert services.outbox_deliver_pending() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_failures_back_off_then_give_up(settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    with time_machine.travel(STOCKHOLM_NOON, tick=False) as traveller:
        email = _enqueue()
        with mock.patch(
            "django.core.mail.backends.locmem.EmailBackend.send_messages",
            side_effect=OSError("connection refused"),
        ):
            assert services.outbox_deliver_pending() == 0
            email.refresh_from_db()
            assert (email.status, email.attempts) == ("PENDING", 1)
            assert email.last_error == "connection refused"
            assert email.next_attempt_at == STOCKHOLM_NOON + dt.timedelta(seconds=60)

            traveller.shift(dt.timedelta(seconds=59))
            services.outbox_deliver_pending()
            email.refresh_from_db()
            assert email.attempts == 1  # not due yet

            traveller.shift(dt.timedelta(seconds=1))
            services.outbox_deliver_pending()
            email.refresh_from_db()
            assert (email.status, email.attempts) == ("PENDING", 2)
            assert email.next_attempt_at == STOCKHOLM_NOON + dt.timedelta(seconds=60 + 120)

            traveller.shift(dt.timedelta(seconds=120))
            services.outbox_deliver_pending()
            email.refresh_from_db()
            assert (email.status, email.attempts) == ("FAILED", 3)
    assert mail.outbox == []
