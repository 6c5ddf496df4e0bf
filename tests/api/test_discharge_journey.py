"""A whole discharge driven only through the API: the ward's system admits, sends the
admission notice; the kommun's and the vårdcentral's systems see the case and
acknowledge; the ward's system sends utskrivningsklar, revokes it, sends it again;
the vårdcentral acknowledges; the ward's system discharges. The pages and the inbox
show the same case, and every response matches the OpenAPI schema."""

import pytest
import time_machine
from viewflow.workflow.status import STATUS

from coordination.models import AccessLog
from workflows.discharge.models import DischargeProcess

from .conftest import local

pytestmark = pytest.mark.django_db


def admit(w, *, event_id="adt-1", at=None, individual=None):
    return w.ward_api.post(
        "/api/v1/adt/admit",
        {
            "event_id": event_id,
            "personal_identity_number": (individual or w.individual).personal_identity_number,
            "ward_id": w.ward.pk,
            "admitted_at": (at or local(2022, 11, 14, 8, 0)).isoformat(),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        },
    )


def test_discharge_through_the_api_only(world):
    w = world
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        response = admit(w)
        assert response.status_code == 201, response.json()
        result = response.json()
        assert result["event_type"] == "ADMIT" and result["replayed"] is False
        pk = result["discharge_id"]
        assert result["stage"] == "ADMITTED"

        # The kommun's system does not see the case before the notice is sent to it.
        assert w.social_api.get(f"/api/v1/discharges/{pk}").status_code == 404

        case = w.ward_api.get(f"/api/v1/discharges/{pk}").json()
        assert case["individual"]["personal_identity_number"] == (
            w.individual.personal_identity_number
        )
        assert [d["kind"] for d in case["deadlines"]] == ["INSKRIVNINGSMEDDELANDE"]
        assert case["deadlines"][0]["due_at"].startswith("2022-11-15T07:00")  # 24 h, UTC
        assert case["open_steps"] == [
            {"step": "send_admission_notice", "organisation_id": w.ward.pk}
        ]

        clock.move_to(local(2022, 11, 14, 10, 0))
        response = w.ward_api.post(
            f"/api/v1/discharges/{pk}/admission-notice",
            {
                "socialtjanst_id": w.social.pk,
                "vardcentral_id": w.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
        assert response.status_code == 200, response.json()
        case = response.json()
        assert case["stage"] == "PLANNING"
        assert {u["role"]: u["ack_state"] for u in case["units"]} == {
            "SOCIALTJANST": "PENDING",
            "VARDCENTRAL": "PENDING",
        }
        notice = next(d for d in case["deadlines"] if d["kind"] == "INSKRIVNINGSMEDDELANDE")
        assert notice["status"] == "MET"

        # The kommun's and the vårdcentral's systems now see the case in their lists.
        listing = w.social_api.get("/api/v1/discharges").json()
        assert [item["id"] for item in listing["items"]] == [pk]
        assert w.vc_api.get(f"/api/v1/discharges/{pk}").status_code == 200

        # Each unit acknowledges through its own client; another unit's answer is refused.
        refused = w.social_api.post(
            f"/api/v1/discharges/{pk}/units/VARDCENTRAL/answer", {"answer": "ACKNOWLEDGED"}
        )
        assert refused.status_code == 403
        clock.move_to(local(2022, 11, 14, 11, 0))
        for api, role in ((w.social_api, "SOCIALTJANST"), (w.vc_api, "VARDCENTRAL")):
            response = api.post(
                f"/api/v1/discharges/{pk}/units/{role}/answer", {"answer": "ACKNOWLEDGED"}
            )
            assert response.status_code == 200, response.json()
        case = w.ward_api.get(f"/api/v1/discharges/{pk}").json()
        assert {u["role"]: u["ack_state"] for u in case["units"]} == {
            "SOCIALTJANST": "ACKNOWLEDGED",
            "VARDCENTRAL": "ACKNOWLEDGED",
        }
        acks = [d for d in case["deadlines"] if d["kind"] == "INSKRIVNING_ACK"]
        assert {d["status"] for d in acks} == {"MET"}

        # Only the ward sends utskrivningsklar.
        clock.move_to(local(2022, 11, 17, 9, 0))
        assert w.social_api.post(f"/api/v1/discharges/{pk}/ready-notice", {}).status_code == 403
        response = w.ward_api.post(f"/api/v1/discharges/{pk}/ready-notice", {})
        assert response.status_code == 200, response.json()
        case = response.json()
        assert case["stage"] == "READY"
        assert case["ready_for_discharge_at"].startswith("2022-11-17T08:00")

        # Revoked: the clocks of the notice stop; then issued again.
        clock.move_to(local(2022, 11, 17, 12, 0))
        response = w.ward_api.post(
            f"/api/v1/discharges/{pk}/ready-notice/revoke", {"reason": "Feber"}
        )
        assert response.status_code == 200, response.json()
        case = response.json()
        assert case["stage"] == "PLANNING"
        assert case["ready_notices"][0]["revoked_at"] is not None
        ack_ready = [d for d in case["deadlines"] if d["kind"] == "UTSKRIVNINGSKLAR_ACK"]
        assert {d["status"] for d in ack_ready} == {"CANCELLED"}

        clock.move_to(local(2022, 11, 18, 8, 0))
        response = w.ward_api.post(f"/api/v1/discharges/{pk}/ready-notice", {})
        assert response.json()["stage"] == "READY"

        # Discharge before the vårdcentral acknowledged: refused, nothing written.
        discharge_event = {
            "event_id": "adt-2",
            "personal_identity_number": w.individual.personal_identity_number,
            "discharged_at": local(2022, 11, 18, 9, 0).isoformat(),
            "information_sent_at": local(2022, 11, 18, 9, 0).isoformat(),
        }
        clock.move_to(local(2022, 11, 18, 10, 0))
        refused = w.ward_api.post("/api/v1/adt/discharge", discharge_event)
        assert refused.status_code == 422
        assert "refused" in refused.json()["type"]
        assert DischargeProcess.objects.get(pk=pk).stage == "READY"

        response = w.vc_api.post(f"/api/v1/discharges/{pk}/ready-notice/acknowledge")
        assert response.status_code == 200, response.json()
        assert response.json()["ready_notices"][-1]["acknowledged_at"] is not None

        response = w.ward_api.post("/api/v1/adt/discharge", discharge_event)
        assert response.status_code == 200, response.json()
        assert response.json()["stage"] == "DISCHARGED"

    process = DischargeProcess.objects.get(pk=pk)
    assert process.stage == "DISCHARGED"
    assert process.discharged_at == local(2022, 11, 18, 9, 0)
    # The flow's tasks were done by the clients, as the inbox shows them.
    done = process.task_set.filter(status=STATUS.DONE, flow_task_type="HUMAN")
    owners = {t.flow_task.name: t.owner for t in done}
    assert owners["send_admission_notice"] == w.ward_client.user
    assert owners["ack_socialtjanst"] == w.social_client.user
    assert owners["ack_vardcentral"] == w.vc_client.user
    assert owners["ack_ready"] == w.vc_client.user
    assert owners["discharge"] == w.ward_client.user
    # The access log names the clients and the organisation each acts for.
    rows = AccessLog.objects.filter(process_id=pk)
    assert rows.filter(user=w.social_client.user, organisation=w.social).exists()
    assert rows.filter(user=w.vc_client.user, organisation=w.vc).exists()
    row = rows.filter(user=w.ward_client.user, action="CREATE").get()
    assert row.username == w.ward_client.user.username
    assert w.ward_client.key_prefix in row.username
    assert row.path == "/api/v1/adt/admit"
    # The case page shows the discharge to the ward's nurse as usual.
    from django.test import Client

    page = Client()
    page.force_login(w.nurse)
    assert page.get(process.get_absolute_url()).status_code == 200


def test_transfer_moves_the_open_discharge(world):
    w = world
    other_ward = type(w.ward).objects.create(
        name="Testsjukhuset avd 2",
        huvudman="REGION",
        kind="SJUKHUSAVDELNING",
        area=w.district,
        reachability="YES",
    )
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        pk = admit(w).json()["discharge_id"]
        response = w.ward_api.post(
            "/api/v1/adt/transfer",
            {
                "event_id": "adt-t1",
                "personal_identity_number": w.individual.personal_identity_number,
                "ward_id": other_ward.pk,
            },
        )
        assert response.status_code == 200, response.json()
        assert response.json()["event_type"] == "TRANSFER"
    assert DischargeProcess.objects.get(pk=pk).ward == other_ward


def test_a_later_judgement_through_the_api(world):
    w = world
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        body = {
            "event_id": "adt-p",
            "personal_identity_number": w.individual.personal_identity_number,
            "ward_id": w.ward.pk,
            "admitted_at": local(2022, 11, 14, 8, 0).isoformat(),
        }
        pk = w.ward_api.post("/api/v1/adt/admit", body).json()["discharge_id"]
        case = w.ward_api.get(f"/api/v1/discharges/{pk}").json()
        assert case["judgement"] == "PENDING"
        assert [s["step"] for s in case["open_steps"]] == ["judge"]
        response = w.ward_api.post(f"/api/v1/discharges/{pk}/judgement", {"judgement": "NO_NEED"})
        assert response.status_code == 200, response.json()
        case = response.json()
    assert case["stage"] == "NO_LUS_PLANNING"
    assert case["open_steps"] == []
    # Done: judging again is a step that is no longer open.
    again = w.ward_api.post(f"/api/v1/discharges/{pk}/judgement", {"judgement": "MAY_NEED"})
    assert again.status_code == 409
