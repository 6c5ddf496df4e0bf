"""A kommun's system rejects the admission notice as "not our resident" through the API
and names the right kommun's receiving unit (the notice is forwarded to it at once,
as from the answer page) or says that the right kommun is unknown. Bad input is
problem+json with the field, and nothing is written."""

import pytest
import time_machine

from coordination.models import Area
from workflows.discharge.models import DischargeEvent, DischargeProcess, DischargeUnit
from workflows.models import Deadline

from .conftest import issue, local, notified_discharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def right_kommun(world):
    from tests.factories import AreaFactory
    from tests.workflows.discharge.factories import SocialtjanstFactory

    kommun = AreaFactory(name="Rättstad", kind=Area.Kind.KOMMUN)
    unit = SocialtjanstFactory(area=kommun, name="Rättstad biståndsenhet")
    client, api = issue(unit, "Lifecare Rättstad")
    return unit, api


def _answer(api, pk, body, role="SOCIALTJANST"):
    return api.post(f"/api/v1/discharges/{pk}/units/{role}/answer", body)


def _written():
    return (
        DischargeEvent.objects.count(),
        Deadline.objects.count(),
        DischargeUnit.objects.count(),
        list(DischargeUnit.objects.order_by("pk").values_list("ack_state", flat=True)),
    )


def test_rejection_forwards_to_the_named_unit_of_the_right_kommun(world, right_kommun, clock):
    w = world
    right_unit, right_api = right_kommun
    pk = notified_discharge(w)
    # The right kommun's system does not see the case before the notice reaches it.
    assert right_api.get(f"/api/v1/discharges/{pk}").status_code == 404

    clock.move_to(local(2022, 11, 14, 10, 0))
    response = _answer(
        w.social_api,
        pk,
        {
            "answer": "REJECTED_NOT_RESIDENT",
            "reason": "Folkbokförd i Rättstad",
            "forward_to": right_unit.pk,
        },
    )
    assert response.status_code == 200, response.json()
    units = [u for u in response.json()["units"] if u["role"] == "SOCIALTJANST"]
    assert {u["organisation"]["id"]: u["ack_state"] for u in units} == {
        w.social.pk: "REJECTED_NOT_RESIDENT",
        right_unit.pk: "PENDING",
    }
    forwarded = DischargeUnit.objects.get(process_id=pk, organisation=right_unit)
    assert forwarded.origin == DischargeUnit.Origin.FORWARDED
    assert forwarded.replaces.organisation == w.social
    assert DischargeEvent.objects.filter(
        process_id=pk, kind=DischargeEvent.Kind.UNIT_FORWARDED
    ).exists()

    # The right kommun's system now sees the case and its own answer step, and answers.
    case = right_api.get(f"/api/v1/discharges/{pk}").json()
    assert {"step": "ack_socialtjanst", "organisation_id": right_unit.pk} in case["open_steps"]
    clock.move_to(local(2022, 11, 14, 11, 0))
    response = _answer(right_api, pk, {"answer": "ACKNOWLEDGED"})
    assert response.status_code == 200, response.json()
    process = DischargeProcess.objects.get(pk=pk)
    assert process.unit("SOCIALTJANST").organisation == right_unit
    assert process.unit("SOCIALTJANST").ack_state == "ACKNOWLEDGED"


def test_rejection_with_the_right_kommun_unknown(world, right_kommun, clock):
    w = world
    pk = notified_discharge(w)
    units_before = DischargeUnit.objects.count()
    response = _answer(
        w.social_api,
        pk,
        {
            "answer": "REJECTED_NOT_RESIDENT",
            "reason": "Okänd folkbokföring",
            "forward_to": "unknown",
        },
    )
    assert response.status_code == 200, response.json()
    assert DischargeUnit.objects.count() == units_before  # nobody new takes part
    unit = DischargeUnit.objects.get(process_id=pk, organisation=w.social)
    assert unit.ack_state == "REJECTED_NOT_RESIDENT"
    assert unit.ack_reason == "Okänd folkbokföring"
    note = DischargeEvent.objects.get(process_id=pk, kind=DischargeEvent.Kind.UNIT_ANSWERED).note
    assert "Okänd folkbokföring" in note


@pytest.mark.parametrize(
    ("role", "body", "status", "field"),
    [
        # Unknown without a reason.
        (
            "SOCIALTJANST",
            {"answer": "REJECTED_NOT_RESIDENT", "forward_to": "unknown"},
            422,
            "reason",
        ),
        # A unit named without rejecting.
        ("SOCIALTJANST", {"answer": "ACKNOWLEDGED", "forward_to": "RIGHT"}, 422, "forward_to"),
        # No such organisation.
        (
            "SOCIALTJANST",
            {"answer": "REJECTED_NOT_RESIDENT", "reason": "x", "forward_to": 999999},
            422,
            "forward_to",
        ),
        # A unit of the same kommun.
        (
            "SOCIALTJANST",
            {"answer": "REJECTED_NOT_RESIDENT", "reason": "x", "forward_to": "SAME"},
            422,
            "forward_to",
        ),
        # Not a unit that can take the role (a ward).
        (
            "SOCIALTJANST",
            {"answer": "REJECTED_NOT_RESIDENT", "reason": "x", "forward_to": "WARD"},
            422,
            "forward_to",
        ),
        # Neither a unit id nor "unknown".
        (
            "SOCIALTJANST",
            {"answer": "REJECTED_NOT_RESIDENT", "reason": "x", "forward_to": "okänd"},
            422,
            "forward_to",
        ),
        # The vårdcentral does not forward to a kommun.
        (
            "VARDCENTRAL",
            {"answer": "REJECTED_NOT_RESIDENT", "reason": "x", "forward_to": "RIGHT"},
            422,
            "forward_to",
        ),
    ],
)
def test_bad_forwarding_is_a_problem_and_writes_nothing(
    world, right_kommun, clock, role, body, status, field
):
    w = world
    right_unit, _ = right_kommun
    pk = notified_discharge(w)
    same = type(w.social).objects.create(
        name="Teststad hemtjänst", huvudman="KOMMUN", kind="SOCIALTJANST", area=w.kommun
    )
    targets = {"RIGHT": right_unit.pk, "SAME": same.pk, "WARD": w.other_ward.pk}
    body = {**body}
    if body.get("forward_to") in targets:
        body["forward_to"] = targets[body["forward_to"]]
    api = w.vc_api if role == "VARDCENTRAL" else w.social_api
    before = _written()
    response = _answer(api, pk, body, role=role)
    assert response.status_code == status, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert field in {e["field"] for e in response.json()["errors"]}
    assert _written() == before
    # The unit may still answer: its step is open.
    assert _answer(api, pk, {"answer": "ACKNOWLEDGED"}, role=role).status_code == 200
