"""FHIR search by the patient's identifier and by ``_lastUpdated`` on every resource
type the facade serves (Organization: by its HSA id). Every Bundle is parsed with the
``fhir.resources`` model (``Fhir.get``); each search parameter the CapabilityStatement
lists is served, and one it does not list is refused."""

import pytest
import time_machine

from coordination.models import AccessLog, Individual
from workflows.sip.models import Meeting

from .conftest import admit_body, local
from .test_fhir import (
    PERSONNUMMER,
    Fhir,
    _discharge_with_answers,
    _sip_with_plan_and_meeting,
    digits,
    entries,
    fhir,
    parse,
)

pytestmark = pytest.mark.django_db

PATIENT_TYPES = ("Patient", "Task", "Communication", "CarePlan", "Appointment")


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def two_patients(world, clock):
    """The first patient's discharge with a SIP (plan and meeting); a second patient's
    discharge at the same ward and units, admitted and notified on 18/11."""
    w = world
    process = _discharge_with_answers(w, clock)
    sip, meeting = _sip_with_plan_and_meeting(w, process.pk)
    clock.move_to(local(2022, 11, 18, 9, 0))
    response = w.ward_api.post(
        "/api/v1/adt/admit",
        admit_body(
            w,
            event_id="adt-2",
            individual=w.other_individual,
            admitted_at=local(2022, 11, 18, 8, 0).isoformat(),
        ),
    )
    assert response.status_code == 201, response.json()
    other = response.json()["discharge_id"]
    response = w.ward_api.post(
        f"/api/v1/discharges/{other}/admission-notice",
        {"socialtjanst_id": w.social.pk, "estimated_discharge_date": "2022-11-25"},
    )
    assert response.status_code == 200, response.json()
    return process, sip, meeting, other


def _patient_of(resource) -> str | None:
    """The Patient a resource is about, as ``Patient/<id>``."""
    kind = resource["resourceType"]
    if kind == "Patient":
        return f"Patient/{resource['id']}"
    if kind == "Task":
        return resource["for"]["reference"]
    if kind in ("Communication", "CarePlan"):
        return resource["subject"]["reference"]
    if kind == "Appointment":
        meeting = Meeting.objects.select_related("sip").get(pk=resource["id"])
        return f"Patient/{meeting.sip.individual_id}"
    raise AssertionError(kind)


@pytest.mark.parametrize("resource_type", PATIENT_TYPES)
def test_search_by_the_patients_identifier(world, two_patients, resource_type):
    w = world
    api = fhir(w.social_api)  # party to both discharges and to the SIP
    first = f"Patient/{w.individual.pk}"
    second = f"Patient/{w.other_individual.pk}"
    pnr = w.individual.personal_identity_number
    found = entries(api.get(f"/fhir/{resource_type}", {"identifier": f"{PERSONNUMMER}|{pnr}"}))
    assert found, resource_type
    assert {_patient_of(resource) for resource in found} == {first}
    # The value alone (no system), without the hyphen: the same.
    again = api.get(f"/fhir/{resource_type}", {"identifier": digits(pnr)})
    assert {res["id"] for res in entries(again)} == {res["id"] for res in found}
    other = w.other_individual.personal_identity_number
    for_other = entries(api.get(f"/fhir/{resource_type}", {"identifier": other}))
    if resource_type in ("CarePlan", "Appointment"):
        assert for_other == []  # the second patient has no SIP
    else:
        assert {_patient_of(resource) for resource in for_other} == {second}
    # An invalid or unknown number matches nobody; an unknown system is refused.
    assert api.get(f"/fhir/{resource_type}", {"identifier": "19121212-0000"})["total"] == 0
    api.refused(f"/fhir/{resource_type}", {"identifier": "urn:x|1"}, status=400, code="invalid")
    # Each case read through a search is access-logged with the client.
    assert AccessLog.objects.filter(
        user=w.social_client.user, path__startswith=f"/fhir/{resource_type}"
    ).exists()


@pytest.mark.parametrize("resource_type", PATIENT_TYPES)
def test_search_by_last_updated(world, two_patients, resource_type):
    api = fhir(world.social_api)
    if resource_type == "Patient":  # a Patient search needs a parameter
        everything = entries(api.get("/fhir/Patient", {"_lastUpdated": "ge2000-01-01"}))
    else:
        everything = entries(api.get(f"/fhir/{resource_type}"))
    assert everything
    cut = local(2022, 11, 18, 0, 0)
    since = entries(api.get(f"/fhir/{resource_type}", {"_lastUpdated": "ge2022-11-18"}))
    before = entries(api.get(f"/fhir/{resource_type}", {"_lastUpdated": "lt2022-11-18"}))
    assert sorted(r["id"] for r in since + before) == sorted(r["id"] for r in everything)
    assert all(parse(r["meta"]["lastUpdated"]) >= cut for r in since)
    assert all(parse(r["meta"]["lastUpdated"]) < cut for r in before)
    # Both parameters together narrow together.
    pnr = world.individual.personal_identity_number
    both = entries(
        api.get(f"/fhir/{resource_type}", {"identifier": pnr, "_lastUpdated": "ge2022-11-18"})
    )
    assert {r["id"] for r in both} <= {r["id"] for r in since}
    assert all(_patient_of(r) == f"Patient/{world.individual.pk}" for r in both)
    api.refused(f"/fhir/{resource_type}", {"_lastUpdated": "x2022"}, status=400, code="invalid")


def test_searches_split_by_time_as_expected(world, two_patients):
    """The second patient came on 18/11: everything of theirs is after the cut, and
    the first patient's SIP meeting and plan (14/11–17/11) before it."""
    Individual.objects.filter(pk=world.individual.pk).update(created_at=local(2022, 11, 1))
    Individual.objects.filter(pk=world.other_individual.pk).update(
        created_at=local(2022, 11, 18, 8, 0)
    )
    api = fhir(world.social_api)
    patients = entries(api.get("/fhir/Patient", {"_lastUpdated": "ge2022-11-18"}))
    assert [p["id"] for p in patients] == [str(world.other_individual.pk)]
    patients = entries(api.get("/fhir/Patient", {"_lastUpdated": "lt2022-11-18"}))
    assert [p["id"] for p in patients] == [str(world.individual.pk)]
    plans = entries(api.get("/fhir/CarePlan", {"_lastUpdated": "lt2022-11-18"}))
    assert [p["id"] for p in plans] == [str(two_patients[1].pk)]
    assert entries(api.get("/fhir/CarePlan", {"_lastUpdated": "ge2022-11-18"})) == []
    later = entries(api.get("/fhir/Communication", {"_lastUpdated": "ge2022-11-18"}))
    assert {c["subject"]["reference"] for c in later} == {f"Patient/{world.other_individual.pk}"}


def test_another_organisations_patient_is_not_found_by_search(world, two_patients):
    api = fhir(world.other_api)
    pnr = world.individual.personal_identity_number
    for resource_type in PATIENT_TYPES:
        assert api.get(f"/fhir/{resource_type}", {"identifier": pnr})["total"] == 0


def test_organization_search_by_hsa_id_and_last_updated(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        world.social.hsa_id = "SE2321000016-ABCD"
        world.social.save()
    api = fhir(world.other_api)
    found = entries(api.get("/fhir/Organization", {"identifier": "SE2321000016-ABCD"}))
    assert [o["id"] for o in found] == [str(world.social.pk)]
    found = api.get(
        "/fhir/Organization", {"identifier": "urn:oid:1.2.752.129.2.1.4.1|SE2321000016-ABCD"}
    )
    assert found["total"] == 1
    assert api.get("/fhir/Organization", {"identifier": "SE-NONE"})["total"] == 0
    api.refused(
        "/fhir/Organization", {"identifier": f"{PERSONNUMMER}|1"}, status=400, code="invalid"
    )
    all_orgs = api.get("/fhir/Organization", {"_count": 100})["total"]
    changed = entries(api.get("/fhir/Organization", {"_lastUpdated": "le2022-11-15"}))
    assert [o["id"] for o in changed] == [str(world.social.pk)]
    assert api.get("/fhir/Organization", {"_lastUpdated": "gt2022-11-15"})["total"] == (
        all_orgs - 1
    )


def test_capability_statement_lists_exactly_the_served_search_parameters(world, two_patients):
    statement = Fhir().get("/fhir/metadata")
    api = fhir(world.ward_api)
    for resource in statement["rest"][0]["resource"]:
        kind = resource["type"]
        assert {"read", "search-type"} <= {i["code"] for i in resource["interaction"]}
        for param in resource["searchParam"]:
            value = {"identifier": "19121212-1212", "_lastUpdated": "ge2022-01-01"}[param["name"]]
            assert param["documentation"]
            assert api.get(f"/fhir/{kind}", {param["name"]: value})["type"] == "searchset"
        api.refused(f"/fhir/{kind}", {"name": "x"}, status=400, code="invalid")
