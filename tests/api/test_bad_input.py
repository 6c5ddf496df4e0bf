"""Bad input answers RFC 9457 problem+json naming the field, and writes nothing."""

import pytest
import time_machine

from api.models import ApiEvent
from coordination.models import AccessLog
from workflows.discharge.models import DischargeEvent, DischargeProcess
from workflows.models import Deadline

from .conftest import admit_body, local, notified_discharge

pytestmark = pytest.mark.django_db


def _counts():
    return (
        DischargeProcess.objects.count(),
        DischargeEvent.objects.count(),
        Deadline.objects.count(),
        ApiEvent.objects.count(),
    )


def _fields(response):
    return {error["field"] for error in response.json().get("errors", [])}


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


def test_malformed_json(world, clock):
    before = _counts()
    response = world.ward_api.post("/api/v1/adt/admit", raw='{"event_id": "x", ')
    assert response.status_code == 400
    assert response.json()["type"] == "urn:kardborre:problem:malformed-request"
    assert _counts() == before


def test_unknown_field_is_refused(world, clock):
    before = _counts()
    response = world.ward_api.post("/api/v1/adt/admit", admit_body(world, colour="blue"))
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:kardborre:problem:invalid-input"
    assert _fields(response) == {"colour"}
    assert _counts() == before


def test_invalid_personnummer(world, clock):
    before = _counts()
    body = admit_body(world)
    body["personal_identity_number"] = "19400101-1235"  # wrong check digit
    response = world.ward_api.post("/api/v1/adt/admit", body)
    assert response.status_code == 422
    assert _fields(response) == {"personal_identity_number"}
    assert _counts() == before


def test_missing_and_wrong_typed_fields(world, clock):
    body = admit_body(world)
    del body["admitted_at"]
    body["ward_id"] = "avd 1"
    response = world.ward_api.post("/api/v1/adt/admit", body)
    assert response.status_code == 422
    assert _fields(response) == {"admitted_at", "ward_id"}


def test_person_not_in_register(world, clock):
    body = admit_body(world)
    body["personal_identity_number"] = "19121212-1212"
    before = _counts()
    response = world.ward_api.post("/api/v1/adt/admit", body)
    assert response.status_code == 422
    assert _fields(response) == {"personal_identity_number"}
    assert _counts() == before


def test_admission_in_the_future_refused_by_the_service(world, clock):
    before = _counts()
    response = world.ward_api.post(
        "/api/v1/adt/admit",
        admit_body(world, admitted_at=local(2022, 11, 15, 9, 0).isoformat()),
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kardborre:problem:refused"
    assert _counts() == before


def test_admission_of_a_person_with_an_open_discharge(world, clock):
    first = world.ward_api.post("/api/v1/adt/admit", admit_body(world))
    assert first.status_code == 201
    before = _counts()
    second = world.ward_api.post("/api/v1/adt/admit", admit_body(world, event_id="adt-other"))
    assert second.status_code == 409
    assert second.json()["type"] == "urn:kardborre:problem:already-open"
    assert _counts() == before


def test_admission_to_another_organisations_ward_is_forbidden(world, clock):
    before = _counts()
    response = world.ward_api.post(
        "/api/v1/adt/admit", admit_body(world, ward_id=world.other_ward.pk)
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:kardborre:problem:forbidden"
    assert _counts() == before


def test_another_organisations_case_is_404_as_on_the_pages(world, clock):
    pk = notified_discharge(world)
    logged = AccessLog.objects.count()
    for path in (f"/api/v1/discharges/{pk}", f"/api/v1/discharges/{pk + 1000}"):
        response = world.other_api.get(path)
        assert response.status_code == 404
        assert response.json()["type"] == "urn:kardborre:problem:not-found"
        assert world.individual.personal_identity_number not in response.content.decode()
    before = _counts()
    response = world.other_api.post(f"/api/v1/discharges/{pk}/ready-notice", {})
    assert response.status_code == 404
    response = world.other_api.post(
        f"/api/v1/discharges/{pk}/units/SOCIALTJANST/answer", {"answer": "ACKNOWLEDGED"}
    )
    assert response.status_code == 404
    assert _counts() == before
    assert AccessLog.objects.count() == logged  # nothing read, nothing logged
    # Nor is it in the other client's list.
    assert world.other_api.get("/api/v1/discharges").json()["count"] == 0


def test_a_step_refused_by_the_service_writes_nothing(world, clock):
    pk = notified_discharge(world)
    before = _counts()
    response = world.social_api.post(
        f"/api/v1/discharges/{pk}/units/SOCIALTJANST/answer",
        {"answer": "REJECTED_NOT_RESIDENT", "reason": " "},
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:kardborre:problem:refused"
    assert _counts() == before
    unit = DischargeProcess.objects.get(pk=pk).unit("SOCIALTJANST")
    assert unit.ack_state == "PENDING"
    # The task is still open for the unit (the refusal rolled back the take, too).
    case = world.social_api.get(f"/api/v1/discharges/{pk}").json()
    assert {"step": "ack_socialtjanst", "organisation_id": world.social.pk} in case["open_steps"]


def test_a_step_that_is_not_open(world, clock):
    pk = notified_discharge(world)
    response = world.vc_api.post(f"/api/v1/discharges/{pk}/ready-notice/acknowledge")
    assert response.status_code == 409
    assert response.json()["type"] == "urn:kardborre:problem:step-not-open"


def test_bad_query_parameters(world, clock):
    response = world.ward_api.get("/api/v1/discharges", {"limit": 1000})
    assert response.status_code == 422
    assert _fields(response) == {"limit"}
    response = world.ward_api.get("/api/v1/discharges", {"updated_since": "yesterday"})
    assert response.status_code == 422
    assert _fields(response) == {"updated_since"}


def test_a_refusal_names_the_field_when_the_service_does(world, clock):
    response = world.ward_api.post(
        "/api/v1/adt/admit",
        admit_body(world, admitted_at=local(2022, 11, 1, 8, 0).isoformat()),
    )
    assert response.status_code == 422
    assert _fields(response) == {"late_registration_reason"}


def test_a_time_without_offset_is_refused(world, clock):
    before = _counts()
    response = world.ward_api.post(
        "/api/v1/adt/admit", admit_body(world, admitted_at="2022-11-14T08:00:00")
    )
    assert response.status_code == 422
    assert _fields(response) == {"admitted_at"}
    assert _counts() == before


def test_an_id_that_is_not_a_number_or_no_operation_is_a_problem_404(world):
    """Found by the schemathesis contract run: these answered the site's HTML page."""
    for path in ("/api/v1/discharges/null%2Cnull", "/api/v1/sips/-1", "/api/v1/nothing-here"):
        response = world.ward_api.client.get(
            path, headers={"Authorization": f"Bearer {world.ward_api.key}"}
        )
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json", path
        assert response.json()["type"] == "urn:kardborre:problem:not-found"
    response = world.ward_api.client.post(
        "/api/v1/discharges/abc/judgement",
        "{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.ward_api.key}"},
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_updated_since_must_be_an_iso_date_time(world):
    """Found by the schemathesis contract run: a number was taken as Unix seconds."""
    for path in ("/api/v1/discharges", "/api/v1/sips", "/api/v1/deviations"):
        response = world.ward_api.get(path, {"updated_since": "0.5"})
        assert response.status_code == 422, path
        assert _fields(response) == {"updated_since"}
        ok = world.ward_api.get(path, {"updated_since": "2022-11-14T08:00:00+01:00"})
        assert ok.status_code == 200, path
