"""Who subscribes to webhooks is read once per transaction (every case event, outbox row
and deadline rung asks): a subscription written in the transaction is seen by the next
event, a revoked one is not, and the next transaction reads them again — also those
written by another process, which no signal here announces."""

import pytest
from django.db import transaction

from api.models import WebhookSubscription
from api.webhooks import (
    _active_subscriptions,
    webhook_subscription_create,
    webhook_subscription_revoke,
)
from tests.factories import OrganisationFactory


def subscribers(organisation, category="case"):
    return {
        pk: [s.pk for s in rows]
        for pk, rows in _active_subscriptions([organisation.pk], category).items()
    }


@pytest.mark.django_db
def test_a_subscription_written_in_the_transaction_is_seen_by_the_next_event(settings):
    settings.KARDBORRE_WEBHOOK_ALLOW_PRIVATE = True
    organisation = OrganisationFactory()
    with transaction.atomic():
        assert subscribers(organisation) == {}
        subscription = webhook_subscription_create(
            organisation=organisation, url="http://127.0.0.1:9/hooks", event_types=["case"]
        )
        assert subscribers(organisation) == {organisation.pk: [subscription.pk]}
        assert subscribers(organisation, "message") == {}
        webhook_subscription_revoke(subscription=subscription)
        assert subscribers(organisation) == {}


@pytest.mark.django_db(transaction=True)
def test_the_next_transaction_reads_who_subscribes_again():
    organisation = OrganisationFactory()
    with transaction.atomic():
        assert subscribers(organisation) == {}
    # Written by another process: bulk_create sends no signal to this one.
    WebhookSubscription.objects.bulk_create(
        [
            WebhookSubscription(
                organisation=organisation,
                url="https://hooks.example.se/kardborre",
                event_types=["case"],
                secret="whsec_test",
            )
        ]
    )
    with transaction.atomic():
        assert list(subscribers(organisation)) == [organisation.pk]
    WebhookSubscription.objects.update(revoked_at="2026-01-01T00:00:00Z")
    with transaction.atomic():
        assert subscribers(organisation) == {}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_takes_what_it_read_with_it():
    organisation = OrganisationFactory()
    with transaction.atomic():
        try:
            with transaction.atomic():
                assert subscribers(organisation) == {}  # read inside the savepoint
                raise RuntimeError
        except RuntimeError:
            pass
        WebhookSubscription.objects.bulk_create(
            [
                WebhookSubscription(
                    organisation=organisation,
                    url="https://hooks.example.se/kardborre",
                    event_types=["case"],
                    secret="whsec_test",
                )
            ]
        )
        # What the savepoint read went with it: read again, the new row is there.
        assert list(subscribers(organisation)) == [organisation.pk]
