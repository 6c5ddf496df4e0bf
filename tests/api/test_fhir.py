"""The FHIR R4 facade (``/fhir/``): every resource fetched through the HTTP endpoint and
parsed with the ``fhir.resources`` model of its type; search by identifier and by
``_lastUpdated`` with paging; the access rule, the scopes and the key, each refusal an
OperationOutcome."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from api.services import api_client_create, api_client_revoke
from coordination.models import AccessLog, Organisation
from coordination.personnummer import make_test_number
from tests.workflows.sip.factories import InvitationFactory, MeetingFactory
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.sip.models import Invitation, PlanIntervention, PlanVersion, SipProcess
from workflows.sip.services import sip_start_from_discharge

from .conftest import local, notified_discharge

pytestmark = pytest.mark.django_db

PERSONNUMMER = "urn:oid:1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "urn:oid:1.2.752.129.2.1.3.3"
FHIR_JSON = "application/fhir+json"
IMPLEMENTED = {"Patient", "Task", "Communication", "CarePlan", "Appointment", "Organization"}


class Fhir:
    """A system calling the facade with its key; every answer must be FHIR JSON that
    the ``fhir.resources`` model of its ``resourceType`` accepts."""

    def __init__(self, key=None):
        self.client = Client()
        self.key = key

    def get(self, path, params=None, *, status=200):
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        response = self.client.get(path, params or {}, headers=headers)
        assert response.status_code == status, (response.status_code, response.content[:500])
        assert response["Content-Type"].startswith(FHIR_JSON), response["Content-Type"]
        body = response.json()
        model = get_fhir_model_class(body["resourceType"])
        model.model_validate(body)  # raises on anything that is not valid FHIR
        self.last = response
        return body

    def refused(self, path, params=None, *, status, code):
        body = self.get(path, params, status=status)
        assert body["resourceType"] == "OperationOutcome"
        assert body["issue"][0]["code"] == code, body
        return body


def fhir(issued_client_api) -> Fhir:
    return Fhir(issued_client_api.key)


def entries(bundle):
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    return [entry["resource"] for entry in bundle.get("entry", [])]


def digits(pnr: str) -> str:
    return pnr.replace("-", "")


def ext(resource, suffix):
    found = [e for e in resource.get("extension", []) if e["url"].endswith(suffix)]
    assert len(found) == 1, (suffix, resource.get("extension"))
    return found[0]


def parse(instant: str) -> dt.datetime:
    return dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


def _sip_with_plan_and_meeting(w, discharge_pk):
    sip = sip_start_from_discharge(
        discharge_process=DischargeProcess.objects.get(pk=discharge_pk), by=w.vc_client.user
    )
    sip.participants.add(w.social)
    meeting = MeetingFactory(sip=sip, starts_at=local(2022, 11, 21, 10, 0), place="Rum 3")
    InvitationFactory(meeting=meeting, organisation=w.social, state=Invitation.State.ACCEPTED)
    InvitationFactory(meeting=meeting, organisation=w.ward, state=Invitation.State.DECLINED)
    InvitationFactory(meeting=meeting, kind=Invitation.Kind.INDIVIDUAL, organisation=None, email="")
    plan = PlanVersion.objects.create(
        sip=sip,
        number=1,
        overall_responsibility="KOMMUN",
        own_goals="Bo kvar hemma",
        others_actions="Dottern handlar",
        follow_up_date=dt.date(2022, 12, 20),
        created_by=w.vc_client.user,
    )
    PlanIntervention.objects.create(
        plan=plan,
        description="Hemtjänst morgon och kväll",
        organisation=w.social,
        start_date=dt.date(2022, 11, 22),
    )
    PlanIntervention.objects.create(
        plan=plan,
        description="Läkemedelsgenomgång",
        organisation=w.vc,
        start_date=dt.date(2022, 11, 14),
    )
    return sip, meeting


# --- CapabilityStatement -------------------------------------------------------------------


def test_capability_statement_is_public_and_lists_what_is_implemented(world):
    statement = Fhir().get("/fhir/metadata")  # no key
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert FHIR_JSON in statement["format"]
    listed = {res["type"]: res for res in statement["rest"][0]["resource"]}
    assert set(listed) == IMPLEMENTED
    for resource_type in IMPLEMENTED:
        names = {p["name"] for p in listed[resource_type]["searchParam"]}
        assert names == {"identifier", "_lastUpdated"}, resource_type

    # Every listed interaction answers in FHIR (an unknown id: OperationOutcome 404) …
    api = Fhir(world.ward_api.key)
    for resource_type, res in listed.items():
        codes = {i["code"] for i in res["interaction"]}
        assert "read" in codes
        api.refused(f"/fhir/{resource_type}/987654", status=404, code="not-found")
        search = Fhir(world.ward_api.key).client.get(
            f"/fhir/{resource_type}",
            {"identifier": f"{PERSONNUMMER}|191212121212"} if resource_type == "Patient" else {},
            headers={"Authorization": f"Bearer {world.ward_api.key}"},
        )
        if "search-type" in codes:
            assert search.status_code == 200 and search.json()["resourceType"] == "Bundle"
        else:  # … and what is not listed is not there.
            assert search.status_code == 404
            assert not search["Content-Type"].startswith(FHIR_JSON)
    assert Client().get("/fhir/Observation/1").status_code == 404


# --- The discharge: Patient, Task, Communication ---------------------------------------------


def _discharge_with_answers(w, clock):
    """Admitted 14/11 09:00 with the notice to the kommun and the vårdcentral; the
    kommun acknowledges on 15/11; utskrivningsklar 17/11."""
    pk = notified_discharge(w)
    clock.move_to(local(2022, 11, 15, 10, 0))
    response = w.social_api.post(
        f"/api/v1/discharges/{pk}/units/SOCIALTJANST/answer", {"answer": "ACKNOWLEDGED"}
    )
    assert response.status_code == 200, response.json()
    clock.move_to(local(2022, 11, 17, 9, 0))
    assert w.ward_api.post(f"/api/v1/discharges/{pk}/ready-notice", {}).status_code == 200
    return DischargeProcess.objects.get(pk=pk)


def test_patient_by_identifier_and_by_id(world, clock):
    process = _discharge_with_answers(world, clock)
    api = fhir(world.ward_api)
    pnr = world.individual.personal_identity_number
    for system in (PERSONNUMMER, "http://electronichealth.se/identifier/personnummer"):
        bundle = api.get("/fhir/Patient", {"identifier": f"{system}|{digits(pnr)}"})
        assert bundle["total"] == 1
        [patient] = entries(bundle)
        assert patient["id"] == str(world.individual.pk)
        assert patient["identifier"] == [
            {"use": "official", "system": PERSONNUMMER, "value": digits(pnr)}
        ]
        assert patient["name"][0]["family"] == "Testsson"
    # The hyphenated form is the same number; the wrong system for it matches nobody.
    assert api.get("/fhir/Patient", {"identifier": f"{PERSONNUMMER}|{pnr}"})["total"] == 1
    assert api.get("/fhir/Patient", {"identifier": f"{SAMORDNINGSNUMMER}|{pnr}"})["total"] == 0
    # A person in the register who is in none of the client's cases: not found.
    other = world.other_individual.personal_identity_number
    assert api.get("/fhir/Patient", {"identifier": f"{PERSONNUMMER}|{other}"})["total"] == 0

    patient = api.get(f"/fhir/Patient/{world.individual.pk}")
    assert patient["address"] == [{"text": world.individual.address}]
    logged = AccessLog.objects.filter(user=world.ward_client.user, process_id=process.pk)
    assert logged.filter(path__startswith="/fhir/Patient").count() >= 3

    api.refused("/fhir/Patient", {}, status=400, code="invalid")
    api.refused("/fhir/Patient", {"identifier": "urn:x|1"}, status=400, code="invalid")


def test_protected_identity_and_samordningsnummer(world, clock):
    world.individual.protected_identity = True
    world.individual.personal_identity_number = make_test_number(
        dt.date(1950, 3, 4), 981, coordination=True
    )
    world.individual.save()
    _discharge_with_answers(world, clock)
    api = fhir(world.ward_api)
    pnr = world.individual.personal_identity_number
    [patient] = entries(api.get("/fhir/Patient", {"identifier": f"{SAMORDNINGSNUMMER}|{pnr}"}))
    assert patient["identifier"][0]["system"] == SAMORDNINGSNUMMER
    assert "name" not in patient and "address" not in patient
    assert patient["meta"]["security"][0]["code"] == "R"
    body = api.last.content.decode()
    assert "Astrid" not in body and "Testsson" not in body


def test_tasks_are_the_deadlines_with_owner_and_due(world, clock):
    process = _discharge_with_answers(world, clock)
    api = fhir(world.social_api)
    bundle = api.get("/fhir/Task")
    tasks = {task["id"]: task for task in entries(bundle)}
    # The search is access-logged once for the case, not once per deadline.
    logged = AccessLog.objects.filter(user=world.social_client.user, path="/fhir/Task")
    assert list(logged.values_list("process_id", flat=True)) == [process.pk]
    deadlines = Deadline.objects.filter(process_id=process.pk)
    assert set(tasks) == {str(d.pk) for d in deadlines}
    assert bundle["total"] == deadlines.count() >= 3
    for deadline in deadlines:
        task = tasks[str(deadline.pk)]
        assert task["owner"]["reference"] == f"Organization/{deadline.responsible_organisation_id}"
        assert parse(task["restriction"]["period"]["end"]) == deadline.due_at
        assert task["for"]["reference"] == f"Patient/{world.individual.pk}"
        assert task["focus"]["identifier"]["value"] == str(process.pk)
        assert task["code"]["coding"][0]["code"] == deadline.kind
        expected = {"OPEN": "ready", "MET": "completed", "CANCELLED": "cancelled"}
        assert task["status"] == expected[deadline.status]
    # The kommun's acknowledgement met its deadline: completed, with when.
    ack = deadlines.get(kind="INSKRIVNING_ACK", responsible_organisation=world.social)
    task = api.get(f"/fhir/Task/{ack.pk}")
    assert task["status"] == "completed"
    assert parse(task["executionPeriod"]["end"]) == local(2022, 11, 15, 10, 0)
    assert parse(task["meta"]["lastUpdated"]) == local(2022, 11, 15, 10, 0)


def test_task_search_by_last_updated_and_paging(world, clock):
    process = _discharge_with_answers(world, clock)
    api = fhir(world.ward_api)
    everything = api.get("/fhir/Task")["total"]
    since = api.get("/fhir/Task", {"_lastUpdated": "ge2022-11-15"})
    before = api.get("/fhir/Task", {"_lastUpdated": "lt2022-11-15"})
    assert since["total"] + before["total"] == everything
    assert since["total"] >= 1 and before["total"] >= 1
    for task in entries(since):
        assert parse(task["meta"]["lastUpdated"]) >= local(2022, 11, 15, 0, 0)
    for task in entries(before):
        assert parse(task["meta"]["lastUpdated"]) < local(2022, 11, 15, 0, 0)
    # An instant and a range (two prefixes) work too.
    exact = api.get(
        "/fhir/Task",
        {"_lastUpdated": ["ge2022-11-15T10:00:00+01:00", "le2022-11-15T10:00:00+01:00"]},
    )
    met_then = Deadline.objects.filter(process_id=process.pk, met_at=local(2022, 11, 15, 10, 0))
    assert {t["id"] for t in entries(exact)} == {str(d.pk) for d in met_then}

    # Paged: one at a time, following the next links, each once.
    seen = []
    page = api.get("/fhir/Task", {"_count": 1})
    while True:
        seen += [t["id"] for t in entries(page)]
        assert page["total"] == everything
        links = {link["relation"]: link["url"] for link in page["link"]}
        if "next" not in links:
            break
        page = api.get(links["next"].replace("http://testserver", ""))
    assert len(seen) == len(set(seen)) == everything

    api.refused("/fhir/Task", {"_lastUpdated": "2022-11-15"}, status=400, code="invalid")
    api.refused("/fhir/Task", {"_lastUpdated": "ge2022-11-15T10:00"}, status=400, code="invalid")
    api.refused("/fhir/Task", {"status": "ready"}, status=400, code="invalid")


def test_communications_are_the_lus_messages_with_acknowledgement(world, clock):
    process = _discharge_with_answers(world, clock)
    api = fhir(world.vc_api)
    messages = entries(api.get("/fhir/Communication"))
    by_id = {m["id"]: m for m in messages}
    units = {u.role: u for u in process.unit_rows.all()}
    notice = process.ready_notices.get()
    assert set(by_id) == {
        f"admission-notice-{units['SOCIALTJANST'].pk}",
        f"admission-notice-{units['VARDCENTRAL'].pk}",
        f"ready-notice-{notice.pk}",
    }
    social = by_id[f"admission-notice-{units['SOCIALTJANST'].pk}"]
    assert social["category"][0]["coding"][0]["code"] == "ADMISSION_NOTICE"
    assert social["recipient"] == [
        {"reference": f"Organization/{world.social.pk}", "display": world.social.name}
    ]
    assert social["sender"]["reference"] == f"Organization/{world.ward.pk}"
    ack = {e["url"]: e for e in ext(social, "lus-acknowledgement")["extension"]}
    assert ack["state"]["valueCode"] == "ACKNOWLEDGED"
    assert parse(ack["at"]["valueDateTime"]) == local(2022, 11, 15, 10, 0)
    assert parse(social["received"]) == local(2022, 11, 15, 10, 0)
    pending = by_id[f"admission-notice-{units['VARDCENTRAL'].pk}"]
    assert ext(pending, "lus-acknowledgement")["extension"] == [
        {"url": "state", "valueCode": "PENDING"}
    ]
    ready = api.get(f"/fhir/Communication/ready-notice-{notice.pk}")
    assert ready["category"][0]["coding"][0]["code"] == "READY_FOR_DISCHARGE_NOTICE"
    assert parse(ready["sent"]) == local(2022, 11, 17, 9, 0)
    assert {r["reference"] for r in ready["recipient"]} == {
        f"Organization/{world.social.pk}",
        f"Organization/{world.vc.pk}",
    }

    # The vårdcentral acknowledges the notice: the message is updated, and found by date.
    clock.move_to(local(2022, 11, 18, 8, 0))
    assert (
        world.vc_api.post(f"/api/v1/discharges/{process.pk}/ready-notice/acknowledge").status_code
        == 200
    )
    since = entries(api.get("/fhir/Communication", {"_lastUpdated": "ge2022-11-18"}))
    assert [m["id"] for m in since] == [f"ready-notice-{notice.pk}"]
    ack = {e["url"]: e for e in ext(since[0], "lus-acknowledgement")["extension"]}
    assert ack["state"]["valueCode"] == "ACKNOWLEDGED"
    older = entries(api.get("/fhir/Communication", {"_lastUpdated": "lt2022-11-18"}))
    assert len(older) == 2
    page = api.get("/fhir/Communication", {"_count": 2, "_offset": 2})
    assert page["total"] == 3 and len(entries(page)) == 1
    assert {link["relation"] for link in page["link"]} == {"self", "previous"}
    api.refused("/fhir/Communication/ready-notice-x", status=404, code="not-found")
    api.refused("/fhir/Communication/other-1", status=404, code="not-found")


# --- The SIP: CarePlan, Appointment; Organization ----------------------------------------------


def test_careplan_and_appointment_of_the_sip(world, clock):
    process = _discharge_with_answers(world, clock)
    sip, meeting = _sip_with_plan_and_meeting(world, process.pk)
    api = fhir(world.social_api)

    plan = api.get(f"/fhir/CarePlan/{sip.pk}")
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["subject"] == {"reference": f"Patient/{world.individual.pk}"}
    assert plan["description"] == "Bo kvar hemma"
    activities = {a["detail"]["performer"][0]["reference"]: a["detail"] for a in plan["activity"]}
    social = activities[f"Organization/{world.social.pk}"]
    assert social["description"] == "Hemtjänst morgon och kväll"
    assert social["scheduledPeriod"]["start"] == "2022-11-22"
    assert social["status"] == "scheduled"
    huvudman = ext(social, "careplan-huvudman")["valueCodeableConcept"]["coding"][0]["code"]
    assert huvudman == "KOMMUN"
    vc = activities[f"Organization/{world.vc.pk}"]
    assert vc["status"] == "in-progress"
    assert ext(vc, "careplan-huvudman")["valueCodeableConcept"]["coding"][0]["code"] == "REGION"
    overall = ext(plan, "careplan-overall-responsibility")["valueCodeableConcept"]
    assert overall["coding"][0]["code"] == "KOMMUN"
    assert ext(plan, "careplan-follow-up-date")["valueDate"] == "2022-12-20"

    appointment = api.get(f"/fhir/Appointment/{meeting.pk}")
    assert appointment["status"] == "booked"
    assert parse(appointment["start"]) == local(2022, 11, 21, 10, 0)
    assert appointment["supportingInformation"] == [{"reference": f"CarePlan/{sip.pk}"}]
    statuses = {}
    for participant in appointment["participant"]:
        if "extension" in participant:
            ref = ext(participant, "appointment-participant-organization")["valueReference"]
            statuses[ref["reference"]] = participant["status"]
        else:
            statuses[participant["actor"]["reference"]] = participant["status"]
    assert statuses == {
        f"Organization/{world.social.pk}": "accepted",
        f"Organization/{world.ward.pk}": "declined",
        f"Patient/{world.individual.pk}": "needs-action",
    }
    assert (
        AccessLog.objects.filter(
            user=world.social_client.user, process_id=sip.pk, path__startswith="/fhir/"
        ).count()
        == 2
    )

    # Sharing stopped (consent revoked): the plan is no longer given out.
    SipProcess.objects.filter(pk=sip.pk).update(stage=SipProcess.Stage.CONSENT_REVOKED)
    api.refused(f"/fhir/CarePlan/{sip.pk}", status=404, code="not-found")


def test_organization_with_reachability(world):
    world.social.hsa_id = "SE2321000016-ABCD"
    world.social.reachability = Organisation.Reachability.UNKNOWN
    world.social.phone = "08-123 45"
    world.social.save()
    organization = fhir(world.other_api).get(f"/fhir/Organization/{world.social.pk}")
    assert organization["name"] == world.social.name
    assert organization["identifier"] == [
        {"system": "urn:oid:1.2.752.129.2.1.4.1", "value": "SE2321000016-ABCD"}
    ]
    reach = ext(organization, "organization-reachability")
    assert reach["url"].startswith("http") and reach["valueCode"] == "UNKNOWN"
    assert {"system": "phone", "value": "08-123 45", "use": "work"} in organization["telecom"]
    kinds = {c["coding"][0]["code"] for c in organization["type"]}
    assert kinds == {world.social.kind, "KOMMUN"}


# --- The access rule, scopes, keys -----------------------------------------------------------


def test_another_organisations_case_is_404(world, clock):
    process = _discharge_with_answers(world, clock)
    sip, meeting = _sip_with_plan_and_meeting(world, process.pk)
    deadline = Deadline.objects.filter(process_id=process.pk).first()
    unit = process.unit_rows.first()
    other = fhir(world.other_api)
    for path in (
        f"/fhir/Patient/{world.individual.pk}",
        f"/fhir/Task/{deadline.pk}",
        f"/fhir/Communication/admission-notice-{unit.pk}",
        f"/fhir/CarePlan/{sip.pk}",
        f"/fhir/Appointment/{meeting.pk}",
    ):
        body = other.refused(path, status=404, code="not-found")
        assert digits(world.individual.personal_identity_number) not in str(body)
    pnr = world.individual.personal_identity_number
    assert other.get("/fhir/Patient", {"identifier": f"{PERSONNUMMER}|{pnr}"})["total"] == 0
    assert other.get("/fhir/Task")["total"] == 0
    assert other.get("/fhir/Communication")["total"] == 0
    assert not AccessLog.objects.filter(user=world.other_client.user).exists()
    # The parties read them.
    fhir(world.ward_api).get(f"/fhir/Task/{deadline.pk}")
    fhir(world.vc_api).get(f"/fhir/Appointment/{meeting.pk}")


def test_scopes_keys_and_rate_limit(world, clock, settings):
    process = _discharge_with_answers(world, clock)
    deadline = Deadline.objects.filter(process_id=process.pk).first()
    directory_only = Fhir(
        api_client_create(organisation=world.ward, name="Katalog", scopes=["directory:read"]).key
    )
    for path in (
        f"/fhir/Patient/{world.individual.pk}",
        f"/fhir/Task/{deadline.pk}",
        "/fhir/Task",
        "/fhir/Communication",
        f"/fhir/CarePlan/{process.pk}",
    ):
        directory_only.refused(path, status=403, code="forbidden")
    directory_only.get(f"/fhir/Organization/{world.ward.pk}")
    fhir(world.ward_api).get(f"/fhir/Task/{deadline.pk}")

    # A SIP reader without discharge:read sees no discharge deadline.
    sip_only = Fhir(api_client_create(organisation=world.ward, name="SIP", scopes=["sip:read"]).key)
    sip_only.refused(f"/fhir/Task/{deadline.pk}", status=404, code="not-found")

    # No key, an unknown key, a revoked key: 401 with the challenge.
    for key in (None, "kb_nope_nope"):
        Fhir(key).refused("/fhir/Task", status=401, code="login")
    anonymous = Fhir()
    anonymous.refused(f"/fhir/Patient/{world.individual.pk}", status=401, code="login")
    assert anonymous.last["WWW-Authenticate"].startswith("Bearer")
    api_client_revoke(client=world.ward_client, by=None)
    fhir(world.ward_api).refused("/fhir/Task", status=401, code="login")

    # The rate limit of the REST API holds here too.
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    from django.core.cache import cache

    cache.clear()
    social = fhir(world.social_api)
    social.get("/fhir/Task")
    social.get("/fhir/Task")
    social.refused("/fhir/Task", status=429, code="throttled")
    assert social.last["Retry-After"]
