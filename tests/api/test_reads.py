"""SIP, deviations and the directory through the API, each through the one access rule."""

import pytest
import time_machine

from coordination.models import AccessLog, Organisation
from workflows.discharge.models import DischargeProcess
from workflows.sip.services import sip_start_from_discharge

from .conftest import local, notified_discharge

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


def test_sip_read_by_its_participants_only(world, clock):
    pk = notified_discharge(world)
    sip = sip_start_from_discharge(
        discharge_process=DischargeProcess.objects.get(pk=pk), by=world.vc_client.user
    )
    listing = world.vc_api.get("/api/v1/sips").json()
    assert [item["id"] for item in listing["items"]] == [sip.pk]
    assert listing["items"][0]["origin_discharge_id"] == pk
    body = world.vc_api.get(f"/api/v1/sips/{sip.pk}").json()
    assert body["individual"]["personal_identity_number"] == (
        world.individual.personal_identity_number
    )
    assert body["initiating_organisation"]["id"] == world.vc.pk
    assert body["plan"] is None
    assert AccessLog.objects.filter(process_id=sip.pk, user=world.vc_client.user).exists()
    # Another organisation: 404, and nothing in its list.
    assert world.other_api.get(f"/api/v1/sips/{sip.pk}").status_code == 404
    assert world.other_api.get("/api/v1/sips").json()["count"] == 0


def test_deviation_reported_answered_and_read(world, clock):
    pk = notified_discharge(world)
    report = {
        "process_id": pk,
        "receiving_organisation_id": world.social.pk,
        "category": "INSKRIVNING_NOT_ACKNOWLEDGED",
        "description": "Ingen kvittens inom ett dygn.",
        "harm": "NO",
        "process_step": "INSKRIVNING",
    }
    response = world.ward_api.post("/api/v1/deviations", report)
    assert response.status_code == 201, response.json()
    deviation = response.json()
    assert deviation["status"] == "REPORTED"
    assert deviation["reporting_organisation"]["id"] == world.ward.pk

    # The receiver sees and answers it; the vårdcentral (not a party of it) does not.
    assert world.vc_api.get(f"/api/v1/deviations/{deviation['id']}").status_code == 404
    listing = world.social_api.get("/api/v1/deviations").json()
    assert [d["id"] for d in listing["items"]] == [deviation["id"]]
    refused = world.ward_api.post(
        f"/api/v1/deviations/{deviation['id']}/answer", {"explanation": "Vi svarar själva"}
    )
    assert refused.status_code == 403
    response = world.social_api.post(
        f"/api/v1/deviations/{deviation['id']}/answer",
        {"explanation": "Bemanningsbrist under helgen.", "measures": "Ny rutin."},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ANSWERED"
    assert world.ward_api.get(f"/api/v1/deviations/{deviation['id']}").json()[
        "answer_measures"
    ] == ("Ny rutin.")


def test_deviation_about_a_case_the_client_cannot_see(world, clock):
    pk = notified_discharge(world)
    response = world.other_api.post(
        "/api/v1/deviations",
        {
            "process_id": pk,
            "receiving_organisation_id": world.ward.pk,
            "category": "INSKRIVNING_NOT_ACKNOWLEDGED",
            "description": "x",
            "harm": "NO",
        },
    )
    assert response.status_code == 404
    assert {e["field"] for e in response.json()["errors"]} == {"process_id"}


def test_directory_with_reachability_and_pagination(world, clock):
    world.vc.reachability = Organisation.Reachability.UNKNOWN
    world.vc.save()
    body = world.social_api.get("/api/v1/organisations", {"limit": 2}).json()
    assert body["count"] == Organisation.objects.filter(is_active=True).count()
    assert len(body["items"]) == 2
    second = world.social_api.get("/api/v1/organisations", {"limit": 2, "offset": 2}).json()
    assert not {o["id"] for o in body["items"]} & {o["id"] for o in second["items"]}
    unknown = world.social_api.get("/api/v1/organisations", {"reachability": "UNKNOWN"}).json()
    assert [o["id"] for o in unknown["items"]] == [world.vc.pk]
    one = world.social_api.get(f"/api/v1/organisations/{world.vc.pk}").json()
    assert one["reachability"] == "UNKNOWN" and one["area"]["id"] == world.district.pk


def test_updated_since(clock, world):
    # The clock first: the world's organisations are created at 09:00.
    pk = notified_discharge(world)
    since = local(2022, 11, 14, 10, 0).isoformat()
    assert world.ward_api.get("/api/v1/discharges", {"updated_since": since}).json()["count"] == 0
    clock.move_to(local(2022, 11, 14, 11, 0))
    world.social_api.post(
        f"/api/v1/discharges/{pk}/units/SOCIALTJANST/answer", {"answer": "ACKNOWLEDGED"}
    )
    changed = world.ward_api.get("/api/v1/discharges", {"updated_since": since}).json()
    assert [item["id"] for item in changed["items"]] == [pk]
    world.other_ward.name = "Omdöpt avdelning"
    world.other_ward.save()
    orgs = world.ward_api.get("/api/v1/organisations", {"updated_since": since}).json()
    assert [o["id"] for o in orgs["items"]] == [world.other_ward.pk]


def test_a_client_is_never_offered_as_a_person(world, clock):
    """The service user of a client is a member of its organisation, but the pickers of
    people (fast vårdkontakt, SIP staff and lead) do not offer it."""
    from tests.workflows.discharge.factories import member
    from workflows.discharge.forms import AppointFastVardkontaktForm
    from workflows.sip.forms import InviteForm, PlanForm

    person = member(world.vc, "FAST_VARDKONTAKT")
    pk = notified_discharge(world)
    process = DischargeProcess.objects.get(pk=pk)
    offered = set(
        AppointFastVardkontaktForm(user=person, process=process).fields["person"].queryset
    )
    assert person in offered and world.vc_client.user not in offered
    sip = sip_start_from_discharge(discharge_process=process, by=person)
    staff = set(InviteForm(sip=sip).fields["staff_users"].queryset)
    leads = set(PlanForm(sip=sip).fields["lead_person"].queryset)
    assert person in staff and person in leads
    assert not {c.user for c in (world.vc_client, world.social_client)} & (staff | leads)
