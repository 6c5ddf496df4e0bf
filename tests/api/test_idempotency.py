"""ADT events are idempotent by the sender's event id."""

import pytest
import time_machine

from api.models import ApiEvent
from workflows.discharge.models import DischargeProcess

from .conftest import admit_body, local

pytestmark = pytest.mark.django_db


def test_a_repeated_event_returns_the_first_result(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        first = world.ward_api.post("/api/v1/adt/admit", admit_body(world))
        again = world.ward_api.post("/api/v1/adt/admit", admit_body(world))
    assert first.status_code == again.status_code == 201
    assert first.json()["replayed"] is False
    assert again.json() == {**first.json(), "replayed": True}
    assert DischargeProcess.objects.count() == 1
    assert ApiEvent.objects.get().response_body["discharge_id"] == first.json()["discharge_id"]


def test_the_same_event_id_with_another_body_is_a_conflict(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        world.ward_api.post("/api/v1/adt/admit", admit_body(world))
        other = world.ward_api.post(
            "/api/v1/adt/admit", admit_body(world, individual=world.other_individual)
        )
    assert other.status_code == 409
    assert other.json()["type"] == "urn:kardborre:problem:event-id-reused"
    assert {e["field"] for e in other.json()["errors"]} == {"event_id"}
    assert DischargeProcess.objects.count() == 1


def test_event_ids_are_per_client(world):
    """Another client's id space is its own: the same id is a new event."""
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        world.ward_api.post("/api/v1/adt/admit", admit_body(world))
        other = world.other_api.post(
            "/api/v1/adt/admit",
            admit_body(world, individual=world.other_individual, ward_id=world.other_ward.pk),
        )
    assert other.status_code == 201
    assert other.json()["replayed"] is False
    assert DischargeProcess.objects.count() == 2


def test_a_refused_event_is_not_stored_and_may_be_corrected(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        refused = world.ward_api.post(
            "/api/v1/adt/admit",
            admit_body(world, admitted_at=local(2022, 11, 16, 8, 0).isoformat()),
        )
        assert refused.status_code == 422
        assert not ApiEvent.objects.exists()
        corrected = world.ward_api.post("/api/v1/adt/admit", admit_body(world))
    assert corrected.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_the_same_event_sent_twice_at_once_admits_once(world):
    """Two deliveries of one event racing: one admits, the other waits for it on the
    unique (client, event id) and returns its result; never a 500 or a second case."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(2)
    results = []

    def send():
        try:
            barrier.wait(timeout=10)
            with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
                response = world.ward_api.post("/api/v1/adt/admit", admit_body(world))
            results.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _body in results) == [201, 201]
    assert sorted(body["replayed"] for _status, body in results) == [False, True]
    assert len({body["discharge_id"] for _status, body in results}) == 1
    assert DischargeProcess.objects.count() == 1
