"""GetCarePlans (RIV-TA ``clinicalprocess:logistics:logistics:GetCarePlans:2``) for NPÖ
and 1177: a SOAP 1.1 request posted as a consumer would, the answer checked against the
contract's published schema (Inera's, vendored in ``api/riv/``), the plans' PDFs, the access rule, the consent and the
faults for bad input."""

import base64
import datetime as dt

import defusedxml.ElementTree as ET
import pytest
import time_machine
from defusedxml import DefusedXmlException

import api.getcareplans as producer
from api.getcareplans import CORE_NS, RESPONDER_NS, SOAP_NS
from api.services import api_client_create
from coordination.models import AccessLog, Consent, Organisation
from coordination.personnummer import make_test_number
from workflows.discharge.models import DischargeProcess
from workflows.sip.models import PlanIntervention, PlanVersion
from workflows.sip.services import (
    sip_consent_record,
    sip_consent_revoke,
    sip_plan_approve,
    sip_start_from_discharge,
)

from .conftest import local, notified_discharge
from .riv_schema import getcareplans_schema

pytestmark = pytest.mark.django_db

URL = "/api/riv/GetCarePlans/2/"
PERSONNUMMER_OID = "1.2.752.129.2.1.3.1"
SCHEMA = getcareplans_schema()


def soap_request(patient_id: str, oid: str = PERSONNUMMER_OID, logical_address="SE2321000016-KB"):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{SOAP_NS}"
    xmlns:urn="urn:riv:itintegration:registry:1"
    xmlns:urn1="{RESPONDER_NS}" xmlns:urn2="{CORE_NS}">
  <soapenv:Header><urn:LogicalAddress>{logical_address}</urn:LogicalAddress></soapenv:Header>
  <soapenv:Body>
    <urn1:GetCarePlans>
      <urn1:patientId><urn2:id>{patient_id}</urn2:id><urn2:type>{oid}</urn2:type></urn1:patientId>
    </urn1:GetCarePlans>
  </soapenv:Body>
</soapenv:Envelope>"""


def call(client, key, body, **headers):
    request = _request_element(body)
    if request is not None:  # what we send as a consumer must be valid too
        assert SCHEMA.validate(request) == [], body
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(
        URL,
        body,
        content_type="text/xml; charset=utf-8",
        headers={
            **auth,
            "SOAPAction": "urn:riv:clinicalprocess:logistics:logistics:GetCarePlansResponder:2:GetCarePlans",
            **headers,
        },
    )


def _request_element(body):
    try:
        envelope = ET.fromstring(body)
    except (ET.ParseError, DefusedXmlException):  # the bad-input cases
        return None
    return envelope.find(f"{{{SOAP_NS}}}Body/{{{RESPONDER_NS}}}GetCarePlans")


def care_plans(client, key, individual) -> list:
    """The plans of ``individual``: the answer must be a schema-valid response."""
    response = call(client, key, soap_request(individual.personal_identity_number.replace("-", "")))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/xml")
    envelope = ET.fromstring(response.content)
    answer = envelope.find(f"{{{SOAP_NS}}}Body/{{{RESPONDER_NS}}}GetCarePlansResponse")
    assert answer is not None
    assert SCHEMA.validate(answer) == []
    assert answer.findtext(f"{{{RESPONDER_NS}}}result/{{{CORE_NS}}}resultCode") == "OK"
    assert len(answer.findtext(f"{{{RESPONDER_NS}}}result/{{{CORE_NS}}}logId")) == 32
    return answer.findall(f"{{{RESPONDER_NS}}}carePlan")


def core(element, path):
    return element.findtext("/".join(f"{{{CORE_NS}}}{p}" for p in path.split("/")))


def fault(response, status):
    assert response.status_code == status
    envelope = ET.fromstring(response.content)
    element = envelope.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
    assert element is not None, response.content
    return element.findtext("faultcode"), element.findtext("faultstring")


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


def _sip_with_plan(w, discharge_pk):
    sip = sip_start_from_discharge(
        discharge_process=DischargeProcess.objects.get(pk=discharge_pk), by=w.vc_client.user
    )
    sip.participants.add(w.social)
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
        plan=plan, description="Hemtjänst", organisation=w.social, start_date=dt.date(2022, 11, 22)
    )
    return sip


def _hsa(w):
    for organisation, hsa_id in (
        (w.ward, "SE2321000016-WARD"),
        (w.social, "SE2120001234-SOC"),
        (w.vc, "SE2321000016-VC"),
    ):
        organisation.hsa_id = hsa_id
        organisation.save(update_fields=["hsa_id"])


def test_sip_and_discharge_plan_for_npo(world, client, clock, settings):
    settings.RIV_SOURCE_SYSTEM_HSA_ID = "SE2321000016-KARD"
    _hsa(world)
    pk = notified_discharge(world)
    sip = _sip_with_plan(world, pk)
    key = world.social_api.key

    plans = care_plans(client, key, world.individual)
    by_type = {core(p, "carePlanBody/typeOfCarePlanEnum"): p for p in plans}
    assert set(by_type) == {"SIP", "SPU"}

    sip_plan = by_type["SIP"]
    assert core(sip_plan, "carePlanHeader/documentId") == f"sip-{sip.pk}-plan-1"
    assert core(sip_plan, "carePlanHeader/sourceSystemHSAId") == "SE2321000016-KARD"
    assert core(sip_plan, "carePlanHeader/documentTitle") == (
        "Samordnad individuell plan (SIP), version 1"
    )
    assert core(sip_plan, "carePlanHeader/documentTime") == "20221114090000"  # Stockholm time
    assert core(sip_plan, "carePlanHeader/patientId/id") == (
        world.individual.personal_identity_number.replace("-", "")
    )
    assert core(sip_plan, "carePlanHeader/patientId/type") == PERSONNUMMER_OID
    assert (
        core(
            sip_plan,
            "carePlanHeader/accountableHealthcareProfessional/healthcareProfessionalOrgUnit/orgUnitHSAId",
        )
        == "SE2321000016-VC"
    )
    participants = {
        e.findtext(f"{{{CORE_NS}}}extension")
        for e in sip_plan.iter(f"{{{CORE_NS}}}participatingCareUnitHSAId")
    }
    expected = {o.hsa_id for o in sip.participants.all()} | {"SE2321000016-VC"}
    assert "SE2120001234-SOC" in expected
    assert participants == expected
    # No consent recorded yet: not for the patient's eyes.
    assert core(sip_plan, "carePlanHeader/approvedForPatient") == "false"

    for plan in plans:
        assert core(plan, "carePlanBody/content/mediaType") == "application/pdf"
        pdf = base64.b64decode(core(plan, "carePlanBody/content/value"))
        assert pdf.startswith(b"%PDF-")
        assert len(pdf) <= 100 * 1024

    spu = by_type["SPU"]
    assert core(spu, "carePlanHeader/documentId") == f"discharge-{pk}"
    assert core(spu, "carePlanHeader/documentTitle") == "Samordnad plan vid utskrivning"
    assert core(spu, "carePlanHeader/approvedForPatient") == "false"
    participants = {
        e.findtext(f"{{{CORE_NS}}}extension")
        for e in spu.iter(f"{{{CORE_NS}}}participatingCareUnitHSAId")
    }
    assert participants == {"SE2321000016-WARD", "SE2120001234-SOC", "SE2321000016-VC"}

    # Every plan given out is in the access log with the client as actor.
    logged = AccessLog.objects.filter(user=world.social_client.user, path=URL)
    assert {entry.process_id for entry in logged} == {sip.pk, pk}


def test_approved_for_patient_follows_consent(world, client, clock):
    pk = notified_discharge(world)
    sip = _sip_with_plan(world, pk)
    key = world.vc_api.key

    sip_consent_record(sip=sip, decision="GIVEN", method="WRITTEN", by=world.vc_client.user)
    Consent.objects.create(
        individual=world.individual,
        scope=Consent.Scope.INFORMATION_SHARING,
        decision=Consent.Decision.GIVEN,
        recorded_by=world.nurse,
    )
    plans = {
        core(p, "carePlanBody/typeOfCarePlanEnum"): p
        for p in care_plans(client, key, world.individual)
    }
    assert core(plans["SIP"], "carePlanHeader/approvedForPatient") == "true"
    assert core(plans["SPU"], "carePlanHeader/approvedForPatient") == "true"

    # The consent revoked: the SIP is no longer shared at all.
    sip.refresh_from_db()
    sip_consent_revoke(sip=sip, by=world.vc_client.user)
    types = [
        core(p, "carePlanBody/typeOfCarePlanEnum")
        for p in care_plans(client, key, world.individual)
    ]
    assert types == ["SPU"]


def test_open_compulsory_care_is_splptlrv(world, client, clock):
    pk = notified_discharge(world)
    DischargeProcess.objects.filter(pk=pk).update(
        care_type="PSYCHIATRIC", leaves_for_open_compulsory_care=True
    )
    plans = care_plans(client, world.social_api.key, world.individual)
    assert [core(p, "carePlanBody/typeOfCarePlanEnum") for p in plans] == ["SPLPTLRV"]
    assert core(plans[0], "carePlanHeader/documentTitle") == "Samordnad plan enligt LPT/LRV"


def test_another_organisations_patient_is_an_empty_answer(world, client, clock):
    pk = notified_discharge(world)
    _sip_with_plan(world, pk)
    assert care_plans(client, world.other_api.key, world.individual) == []
    assert not AccessLog.objects.filter(user=world.other_client.user).exists()
    # A person nobody has registered: empty too, not a fault.
    unknown = make_test_number(dt.date(1950, 1, 1), 42).replace("-", "")
    response = call(client, world.social_api.key, soap_request(unknown))
    assert response.status_code == 200
    assert b"carePlan>" not in response.content.replace(b"GetCarePlansResponse", b"")


def test_key_and_scope(world, client, clock):
    body = soap_request(world.individual.personal_identity_number.replace("-", ""))
    code, _reason = fault(call(client, None, body), 401)
    assert code == "soapenv:Client"
    fault(call(client, "kb_nope_nope", body), 401)
    issued = api_client_create(
        organisation=world.social, name="Only discharges", scopes=["discharge:read"]
    )
    _code, reason = fault(call(client, issued.key, body), 403)
    assert "sip:read" in reason
    # A signed-in user's session is not a key.
    client.force_login(world.nurse)
    fault(call(client, None, body), 401)
    # SOAP is POST only.
    assert client.get(URL).status_code == 405


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("not xml at all", "Malformed XML"),
        ("<a/>", "SOAP 1.1"),
        ('<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "DTD"),
        (f'<e:Envelope xmlns:e="{SOAP_NS}"><e:Body/></e:Envelope>', "GetCarePlans"),
        (soap_request("191212121213"), "patientId.id"),
        (soap_request("191212121212", oid="1.2.3"), "patientId.type"),
        (soap_request("191212621211", oid=PERSONNUMMER_OID), "patientId"),
    ],
)
def test_bad_input_is_a_client_fault(world, client, body, needle):
    code, reason = fault(call(client, world.social_api.key, body), 400)
    assert code == "soapenv:Client"
    assert needle in reason


def test_organisation_hsa_ids_are_optional(world, client, clock):
    """Units without an HSA id are left out of the participants, not sent empty."""
    assert not Organisation.objects.exclude(hsa_id="").exists()
    notified_discharge(world)
    (plan,) = care_plans(client, world.social_api.key, world.individual)
    assert list(plan.iter(f"{{{CORE_NS}}}participatingCareUnitHSAId")) == []


def test_the_schema_check_rejects_what_the_contract_does_not_allow():
    """The schema check itself: a response without its result, an unknown type of
    care plan or a header out of order is refused."""
    r, c = RESPONDER_NS, CORE_NS

    def response(inner):
        return ET.fromstring(
            f'<r:GetCarePlansResponse xmlns:r="{r}" xmlns:c="{c}">{inner}</r:GetCarePlansResponse>'
        )

    result = "<r:result><c:resultCode>OK</c:resultCode><c:logId>1</c:logId></r:result>"
    header = (
        "<c:carePlanHeader><c:documentId>1</c:documentId><c:sourceSystemHSAId>S</c:sourceSystemHSAId>"
        "<c:documentTitle>T</c:documentTitle><c:patientId><c:id>191212121212</c:id>"
        f"<c:type>{PERSONNUMMER_OID}</c:type></c:patientId><c:accountableHealthcareProfessional>"
        "<c:authorTime>20221114090000</c:authorTime></c:accountableHealthcareProfessional>"
        "<c:approvedForPatient>false</c:approvedForPatient></c:carePlanHeader>"
    )
    good = f"<r:carePlan>{header}<c:carePlanBody><c:typeOfCarePlanEnum>SIP</c:typeOfCarePlanEnum></c:carePlanBody></r:carePlan>"
    assert SCHEMA.validate(response(good + result)) == []
    assert SCHEMA.validate(response(good))  # no result
    assert SCHEMA.validate(response(good + result.replace("<c:logId>1</c:logId>", "")))
    # The element of the earlier, unofficial schema is not the contract's.
    assert SCHEMA.validate(response(good.replace("typeOfCarePlanEnum", "typeOfCarePlan") + result))
    # The body's order: content before the type.
    content = "<c:content><c:mediaType>application/pdf</c:mediaType></c:content>"
    assert SCHEMA.validate(
        response(
            good.replace("</c:typeOfCarePlanEnum>", "</c:typeOfCarePlanEnum>" + content) + result
        )
    )
    assert SCHEMA.validate(response(good.replace(">SIP<", ">XYZ<") + result))
    assert SCHEMA.validate(response(good.replace("<c:documentId>1</c:documentId>", "") + result))
    assert SCHEMA.validate(response(good.replace(">false<", ">maybe<") + result))


def _with_filters(patient_id, filters: str, units: str = "") -> str:
    """A request with filters in the contract's order: the care units before the patient,
    the rest after it."""
    return (
        soap_request(patient_id)
        .replace("<urn1:patientId>", units + "<urn1:patientId>")
        .replace("</urn1:patientId>", "</urn1:patientId>" + filters)
    )


def _types(client, key, body):
    response = call(client, key, body)
    assert response.status_code == 200, response.content
    answer = ET.fromstring(response.content).find(
        f"{{{SOAP_NS}}}Body/{{{RESPONDER_NS}}}GetCarePlansResponse"
    )
    assert SCHEMA.validate(answer) == []
    return sorted(
        core(p, "carePlanBody/typeOfCarePlanEnum")
        for p in answer.findall(f"{{{RESPONDER_NS}}}carePlan")
    )


def test_the_request_filters_are_applied(world, client, clock, settings):
    """GetCarePlans 2: careUnitHSAId, datePeriod and sourceSystemHSAId narrow the answer."""
    settings.RIV_SOURCE_SYSTEM_HSA_ID = "SE2321000016-KARD"
    _hsa(world)
    _sip_with_plan(world, notified_discharge(world))
    key = world.social_api.key
    person = world.individual.personal_identity_number.replace("-", "")
    assert _types(client, key, soap_request(person)) == ["SIP", "SPU"]
    # The SIP's unit is the vårdcentral, the discharge's the ward.
    vc = "<urn1:careUnitHSAId>SE2321000016-VC</urn1:careUnitHSAId>"
    assert _types(client, key, _with_filters(person, "", units=vc)) == ["SIP"]
    ward = "<urn1:careUnitHSAId>SE2321000016-WARD</urn1:careUnitHSAId>"
    assert _types(client, key, _with_filters(person, "", units=vc + ward)) == ["SIP", "SPU"]

    def period(start, end):
        return (
            f"<urn1:datePeriod><urn2:start>{start}</urn2:start>"
            f"<urn2:end>{end}</urn2:end></urn1:datePeriod>"
        )

    assert _types(client, key, _with_filters(person, period("20221114", "20221114"))) == [
        "SIP",
        "SPU",
    ]
    assert _types(client, key, _with_filters(person, period("20221201", "20221231"))) == []
    own = "<urn1:sourceSystemHSAId>SE2321000016-KARD</urn1:sourceSystemHSAId>"
    assert _types(client, key, _with_filters(person, own)) == ["SIP", "SPU"]
    other = "<urn1:sourceSystemHSAId>SE2321000016-OTHER</urn1:sourceSystemHSAId>"
    assert _types(client, key, _with_filters(person, other)) == []
    code, text = fault(
        call(client, key, _with_filters(person, period("20221231", "20221201"))), 400
    )
    assert "before it starts" in text


def test_legal_authenticator_and_care_contact(world, client, clock, settings):
    """The SIP plan is signed once the accountable unit approved the version; both plans
    name the inpatient stay they belong to, and a request may ask for that stay only."""
    pk = notified_discharge(world)
    sip = _sip_with_plan(world, pk)
    key = world.vc_api.key
    plans = {
        core(p, "carePlanBody/typeOfCarePlanEnum"): p
        for p in care_plans(client, key, world.individual)
    }
    assert plans["SIP"].find(f"{{{CORE_NS}}}carePlanHeader/{{{CORE_NS}}}legalAuthenticator") is None
    assert core(plans["SIP"], "carePlanHeader/careContactId") == f"discharge-{pk}"
    assert core(plans["SPU"], "carePlanHeader/careContactId") == f"discharge-{pk}"
    assert plans["SPU"].find(f"{{{CORE_NS}}}carePlanHeader/{{{CORE_NS}}}legalAuthenticator") is None

    clock.move_to(local(2022, 11, 15, 10, 30))
    sip.refresh_from_db()
    sip_plan_approve(
        sip=sip,
        plan=sip.plan_versions.get(),
        by=world.vc_client.user,
        organisation=sip.initiating_organisation,
    )
    (signed,) = [
        p
        for p in care_plans(client, key, world.individual)
        if core(p, "carePlanBody/typeOfCarePlanEnum") == "SIP"
    ]
    assert core(signed, "carePlanHeader/legalAuthenticator/signatureTime") == "20221115103000"

    person = world.individual.personal_identity_number.replace("-", "")
    stay = f"<urn1:careContactId>discharge-{pk}</urn1:careContactId>"
    assert _types(client, key, _with_filters(person, stay)) == ["SIP", "SPU"]
    other = "<urn1:careContactId>discharge-0</urn1:careContactId>"
    assert _types(client, key, _with_filters(person, other)) == []


def test_a_pdf_over_100_kb_is_left_out(world, client, clock, monkeypatch):
    """The contract's limit: a plan whose PDF is over 100 KB is not given out (nor logged)."""
    pk = notified_discharge(world)
    real = producer.pdf_bytes

    def big_discharge_pdf(*, request, template_name, context):
        pdf = real(request=request, template_name=template_name, context=context)
        return pdf + b"%" * (100 * 1024) if template_name.startswith("discharge/") else pdf

    monkeypatch.setattr(producer, "pdf_bytes", big_discharge_pdf)
    assert care_plans(client, world.social_api.key, world.individual) == []
    assert not AccessLog.objects.filter(user=world.social_client.user, process_id=pk).exists()
