"""The discharge steps after the answers, through the API: the vårdcentral appoints
the fast vårdkontakt, each unit plans its interventions, the vårdcentral sends the
kallelse to SIP (a SIP linked to the discharge starts, driven on through /sips). And
with two kommun units of one role on one process, each client answers and plans its
own unit's step, never the other's."""

import pytest
import time_machine

from tests.workflows.discharge.factories import SocialtjanstFactory, member
from workflows.discharge import services
from workflows.discharge.models import DischargeProcess, DischargeUnit
from workflows.models import Deadline
from workflows.sip.models import SipProcess

from .conftest import issue, local, notified_discharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


def _ack(api, pk, role):
    return api.post(f"/api/v1/discharges/{pk}/units/{role}/answer", {"answer": "ACKNOWLEDGED"})


def _steps(api, pk):
    return api.get(f"/api/v1/discharges/{pk}").json()["open_steps"]


def test_fast_vardkontakt_planning_and_kallelse_through_the_api(world, clock):
    w = world
    doctor = member(w.vc, "FAST_VARDKONTAKT", user__username="dr.vc")
    pk = notified_discharge(w)
    assert _ack(w.social_api, pk, "SOCIALTJANST").status_code == 200
    assert _ack(w.vc_api, pk, "VARDCENTRAL").status_code == 200

    # A person who does not work at the vårdcentral is refused, nothing written.
    member(w.social, "HANDLAGGARE", user__username="kommun.person")
    response = w.vc_api.post(
        f"/api/v1/discharges/{pk}/fast-vardkontakt", {"person_username": "kommun.person"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "person_username"
    assert DischargeProcess.objects.get(pk=pk).fast_vardkontakt_id is None
    # Nor may the kommun's system appoint: the step is the vårdcentral's.
    response = w.social_api.post(
        f"/api/v1/discharges/{pk}/fast-vardkontakt", {"person_username": "dr.vc"}
    )
    assert response.status_code in (403, 409, 422)
    assert DischargeProcess.objects.get(pk=pk).fast_vardkontakt_id is None

    response = w.vc_api.post(
        f"/api/v1/discharges/{pk}/fast-vardkontakt", {"person_username": "dr.vc"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["fast_vardkontakt_appointed_at"] is not None
    assert DischargeProcess.objects.get(pk=pk).fast_vardkontakt == doctor
    assert Deadline.objects.get(process_id=pk, kind="FAST_VARDKONTAKT").status == "MET"

    # Planning: needed interventions must be described.
    path = f"/api/v1/discharges/{pk}/units/SOCIALTJANST/plan"
    response = w.social_api.post(path, {"interventions_needed": True})
    assert response.status_code == 422
    assert DischargeUnit.objects.get(process_id=pk, role="SOCIALTJANST").planned_at is None
    response = w.social_api.post(
        path, {"interventions_needed": True, "planned_interventions": "Hemtjänst 2 ggr/dag"}
    )
    assert response.status_code == 200, response.json()
    unit = next(u for u in response.json()["units"] if u["role"] == "SOCIALTJANST")
    assert unit["interventions_needed"] is True and unit["planned_at"] is not None
    response = w.vc_api.post(
        f"/api/v1/discharges/{pk}/units/VARDCENTRAL/plan", {"interventions_needed": False}
    )
    assert response.status_code == 200, response.json()

    clock.move_to(local(2022, 11, 16, 9, 0))
    assert w.ward_api.post(f"/api/v1/discharges/{pk}/ready-notice", {}).status_code == 200
    assert {"step": "sip_kallelse", "organisation_id": w.vc.pk} in _steps(w.vc_api, pk)
    response = w.vc_api.post(f"/api/v1/discharges/{pk}/sip-kallelse", {"action": "SENT"})
    assert response.status_code == 200, response.json()
    sip = SipProcess.objects.get(origin_discharge_id=pk)
    assert sip.initiating_organisation == w.vc
    # The SIP is then driven on through the SIP endpoints, by the vårdcentral's client.
    case = w.vc_api.get(f"/api/v1/sips/{sip.pk}").json()
    assert case["origin_discharge_id"] == pk
    assert case["open_steps"] == [{"step": "consent", "organisation_id": w.vc.pk}]
    # The kallelse deadline is met when the SIP's invitations have gone out, not before.
    assert Deadline.objects.get(process_id=pk, kind="SIP_KALLELSE").status == "OPEN"
    response = w.vc_api.post(
        f"/api/v1/sips/{sip.pk}/consent", {"decision": "GIVEN", "method": "WRITTEN"}
    )
    assert response.status_code == 200, response.json()
    clock.move_to(local(2022, 11, 16, 14, 0))
    response = w.vc_api.post(
        f"/api/v1/sips/{sip.pk}/invitations",
        {
            "starts_at": local(2022, 11, 21, 10, 0).isoformat(),
            "place": "Vårdcentralen",
            "organisation_ids": [w.vc.pk, w.social.pk],
        },
    )
    assert response.status_code == 200, response.json()
    kallelse = Deadline.objects.get(process_id=pk, kind="SIP_KALLELSE")
    assert kallelse.status == "MET"
    process = DischargeProcess.objects.get(pk=pk)
    assert process.sip_kallelse_sent_at == local(2022, 11, 16, 14, 0)


def test_skipping_the_kallelse_needs_a_reason(world, clock):
    w = world
    pk = notified_discharge(w)
    assert _ack(w.social_api, pk, "SOCIALTJANST").status_code == 200
    assert _ack(w.vc_api, pk, "VARDCENTRAL").status_code == 200
    assert w.ward_api.post(f"/api/v1/discharges/{pk}/ready-notice", {}).status_code == 200
    path = f"/api/v1/discharges/{pk}/sip-kallelse"
    response = w.vc_api.post(path, {"action": "SKIPPED"})
    assert response.status_code == 422
    assert DischargeProcess.objects.get(pk=pk).sip_kallelse_recorded_at is None
    response = w.vc_api.post(path, {"action": "SKIPPED", "skipped_reason": "Giltig SIP finns"})
    assert response.status_code == 200, response.json()
    assert not SipProcess.objects.exists()
    assert Deadline.objects.get(process_id=pk, kind="SIP_KALLELSE").status == "CANCELLED"


def test_two_kommun_units_of_one_role_each_answer_and_plan_their_own_step(world, clock):
    w = world
    hemtjanst = SocialtjanstFactory(area=w.district, name="Testdistrikt hemtjänst")
    _, hemtjanst_api = issue(hemtjanst, "Pulsen hemtjänst")
    pk = notified_discharge(w)
    clock.move_to(local(2022, 11, 14, 11, 0))
    services.unit_add(
        process=DischargeProcess.objects.get(pk=pk),
        role="SOCIALTJANST",
        organisation=hemtjanst,
        reason="Hemtjänst utförare",
        by=w.nurse,
    )
    steps = _steps(w.ward_api, pk)
    assert {"step": "ack_socialtjanst", "organisation_id": w.social.pk} in steps
    assert {"step": "ack_socialtjanst", "organisation_id": hemtjanst.pk} in steps

    # The unit added later answers first: its own step is done, the first unit's stays.
    response = _ack(hemtjanst_api, pk, "SOCIALTJANST")
    assert response.status_code == 200, response.json()
    states = {u["organisation"]["id"]: u["ack_state"] for u in response.json()["units"]}
    assert states[hemtjanst.pk] == "ACKNOWLEDGED"
    assert states[w.social.pk] == "PENDING"
    steps = _steps(w.ward_api, pk)
    assert {"step": "ack_socialtjanst", "organisation_id": w.social.pk} in steps
    assert {"step": "ack_socialtjanst", "organisation_id": hemtjanst.pk} not in steps
    assert {"step": "plan_socialtjanst", "organisation_id": hemtjanst.pk} in steps
    # A second answer of the same unit finds no open step of its own: the one left
    # belongs to the other unit.
    assert _ack(hemtjanst_api, pk, "SOCIALTJANST").status_code == 403
    assert DischargeUnit.objects.get(process_id=pk, organisation=w.social).ack_state == "PENDING"

    response = _ack(w.social_api, pk, "SOCIALTJANST")
    assert response.status_code == 200, response.json()
    states = {u["organisation"]["id"]: u["ack_state"] for u in response.json()["units"]}
    assert states == {hemtjanst.pk: "ACKNOWLEDGED", w.social.pk: "ACKNOWLEDGED", w.vc.pk: "PENDING"}

    # Planning likewise: the first unit plans on its own branch, the other's stays open.
    response = w.social_api.post(
        f"/api/v1/discharges/{pk}/units/SOCIALTJANST/plan", {"interventions_needed": False}
    )
    assert response.status_code == 200, response.json()
    planned = {
        u.organisation_id: u.planned_at is not None
        for u in DischargeUnit.objects.filter(process_id=pk, role="SOCIALTJANST")
    }
    assert planned == {w.social.pk: True, hemtjanst.pk: False}
    assert {"step": "plan_socialtjanst", "organisation_id": hemtjanst.pk} in _steps(w.ward_api, pk)
