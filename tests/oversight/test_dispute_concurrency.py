"""Two users of the kommun dispute the same episode at the same moment: one dispute is
recorded, the other is told it is already disputed. Real threads on PostgreSQL."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from oversight.models import PaymentDispute
from oversight.services import payment_dispute_open

from .conftest import local, make_episode

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_disputes_of_one_episode_record_one(world):
    process = make_episode(
        world, sent_at=local(2022, 11, 10, 9, 0), discharged_at=local(2022, 11, 14, 12, 0)
    )
    users = [world.handlaggare, world.mas]
    barrier = threading.Barrier(len(users))
    outcomes = {}

    def dispute(user):
        try:
            barrier.wait()
            payment_dispute_open(process=process, kommun=world.kommun, reason="Fel", by=user)
            outcomes[user.pk] = "ok"
        except ValidationError as error:
            outcomes[user.pk] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispute, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert PaymentDispute.objects.filter(process=process).count() == 1
    assert list(outcomes.values()).count("ok") == 1
    assert len(outcomes) == 2
