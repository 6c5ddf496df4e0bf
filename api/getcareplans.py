"""GetCarePlans producer (RIV-TA ``clinicalprocess:logistics:logistics:GetCarePlans:2``)
at ``/api/riv/GetCarePlans/2/``: NPÖ and the individual's 1177 read the person's SIPs
and discharge plans as care plans.

SOAP 1.1 over HTTP POST. The caller authenticates like the REST API, with a bearer key
of scope ``sip:read``; in the national service platform (NTjP) a reverse proxy
terminates the platform's mutual TLS and adds the key of the client registered for it
(README, "GetCarePlans for NPÖ and 1177"). The answer is what the client's organisation
may see under the one access rule, and every plan given out is access-logged.

Each plan: the header (document id, this system's HSA id, title, time, patient,
the accountable organisation unit's HSA id, the ``legalAuthenticator`` once the plan is
approved, ``approvedForPatient`` = the consent in force, the ``careContactId`` of the
inpatient stay) and the body (the printed plan as a base64 PDF of at most 100 KB; the
participating units' HSA ids; ``typeOfCarePlanEnum``: ``SIP``; ``SPU`` for a discharge
plan, ``SPLPTLRV`` when the person leaves for open compulsory care). The contract is
Inera's published schema, vendored in ``api/riv/`` (see its README); element names and
order follow ``clinicalprocess_logistics_logistics_3.0.xsd``.
"""

import base64
import datetime as dt
import logging
import uuid
import xml.etree.ElementTree as ET  # builds the answer; requests are parsed by defusedxml

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_untrusted
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from coordination import personnummer
from coordination.clock import STOCKHOLM
from coordination.models import Consent, Individual, Organisation
from coordination.printing import pdf_bytes
from workflows.discharge import selectors as discharge_selectors
from workflows.discharge.models import Stage
from workflows.discharge.views import STATE_LABELS
from workflows.sip.models import PlanApproval
from workflows.sip.selectors import sips_visible_to

from .common import log_access
from .models import Scope
from .ratelimit import rate_limit_check
from .services import api_client_for_key

logger = logging.getLogger(__name__)

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
RESPONDER_NS = "urn:riv:clinicalprocess:logistics:logistics:GetCarePlansResponder:2"
CORE_NS = "urn:riv:clinicalprocess:logistics:logistics:3"
ADDRESSING_NS = "urn:riv:itintegration:registry:1"
PERSONNUMMER_OID = "1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER_OID = "1.2.752.129.2.1.3.3"
HSA_ID_OID = "1.2.752.129.2.1.4.1"
MAX_CONTENT_BYTES = 100 * 1024
PURPOSE = "GetCarePlans, NPÖ"

ET.register_namespace("soapenv", SOAP_NS)
ET.register_namespace("ns", RESPONDER_NS)
ET.register_namespace("core", CORE_NS)


class SoapFault(Exception):
    def __init__(self, code: str, reason: str, status: int = 500):
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.status = status


# --- The request ---------------------------------------------------------------------------


def parse_request(body: bytes) -> personnummer.PersonalIdentityNumber:
    """The patient of a GetCarePlans request; a fault for anything else."""
    try:
        envelope = parse_untrusted(body, forbid_dtd=True)
    except ET.ParseError as error:
        raise SoapFault("soapenv:Client", f"Malformed XML: {error}", 400) from error
    except DefusedXmlException as error:
        raise SoapFault("soapenv:Client", "DTDs and entities are refused.", 400) from error
    if envelope.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapFault("soapenv:Client", "Not a SOAP 1.1 envelope.", 400)
    request = envelope.find(f"{{{SOAP_NS}}}Body/{{{RESPONDER_NS}}}GetCarePlans")
    if request is None:
        raise SoapFault("soapenv:Client", "The body holds no GetCarePlans request.", 400)
    patient = request.find(f"{{{RESPONDER_NS}}}patientId")
    if patient is None:
        patient = request.find(f"{{{CORE_NS}}}patientId")
    if patient is None:
        raise SoapFault("soapenv:Client", "patientId is required.", 400)
    value = (_text(patient, "id") or "").strip()
    oid = (_text(patient, "type") or "").strip()
    if oid not in (PERSONNUMMER_OID, SAMORDNINGSNUMMER_OID):
        raise SoapFault("soapenv:Client", f"patientId.type must be {PERSONNUMMER_OID}.", 400)
    try:
        number = personnummer.parse(value)
    except ValidationError as error:
        raise SoapFault("soapenv:Client", f"patientId.id is invalid: {value!r}.", 400) from error
    if number.is_coordination_number != (oid == SAMORDNINGSNUMMER_OID):
        raise SoapFault("soapenv:Client", "patientId.type does not match patientId.id.", 400)
    return number


def parse_filters(body: bytes) -> dict:
    """The request's optional filters: ``careUnitHSAId`` (any number), ``datePeriod``
    (start/end as YYYYMMDD, both ends included), ``sourceSystemHSAId`` and
    ``careContactId`` (any number)."""
    request = parse_untrusted(body, forbid_dtd=True).find(
        f"{{{SOAP_NS}}}Body/{{{RESPONDER_NS}}}GetCarePlans"
    )
    units = {
        (element.text or "").strip()
        for ns in (RESPONDER_NS, CORE_NS)
        for element in request.findall(f"{{{ns}}}careUnitHSAId")
        if (element.text or "").strip()
    }
    period = request.find(f"{{{RESPONDER_NS}}}datePeriod")
    if period is None:
        period = request.find(f"{{{CORE_NS}}}datePeriod")
    start = end = None
    if period is not None:
        try:
            start = _date(_text(period, "start"))
            end = _date(_text(period, "end"))
        except ValueError as error:
            raise SoapFault(
                "soapenv:Client", "datePeriod.start and .end are dates as YYYYMMDD.", 400
            ) from error
        if start and end and start > end:
            raise SoapFault("soapenv:Client", "datePeriod ends before it starts.", 400)
    source = (_text(request, "sourceSystemHSAId") or "").strip()
    contacts = {
        (element.text or "").strip()
        for ns in (RESPONDER_NS, CORE_NS)
        for element in request.findall(f"{{{ns}}}careContactId")
        if (element.text or "").strip()
    }
    return {"units": units, "start": start, "end": end, "source": source, "contacts": contacts}


def _date(value):
    value = (value or "").strip()
    return dt.datetime.strptime(value, "%Y%m%d").date() if value else None


def plans_filtered(plans: list[dict], filters: dict) -> list[dict]:
    """The plans that the request's filters keep (GetCarePlans 2: care unit, period,
    source system — a request for another source system gets none of ours — and care
    contact)."""
    if filters["source"] and filters["source"] != settings.RIV_SOURCE_SYSTEM_HSA_ID:
        return []
    kept = []
    for plan in plans:
        if filters["units"] and plan["organisation"].hsa_id not in filters["units"]:
            continue
        if filters.get("contacts") and plan["care_contact_id"] not in filters["contacts"]:
            continue
        day = timezone.localtime(plan["time"], STOCKHOLM).date()
        if filters["start"] and day < filters["start"]:
            continue
        if filters["end"] and day > filters["end"]:
            continue
        kept.append(plan)
    return kept


def _text(parent, name):
    for ns in (CORE_NS, RESPONDER_NS):
        element = parent.find(f"{{{ns}}}{name}")
        if element is not None:
            return element.text
    return None


# --- The plans ------------------------------------------------------------------------------


def _timestamp(moment) -> str:
    return timezone.localtime(moment, STOCKHOLM).strftime("%Y%m%d%H%M%S")


def _hsa_ids(organisations) -> list[str]:
    return sorted({o.hsa_id for o in organisations if o.hsa_id})


def _latest_consent_in_force(individual, scope) -> bool:
    consent = Consent.objects.filter(individual=individual, scope=scope).order_by("-pk").first()
    return consent is not None and consent.is_in_force


def sip_plans(request, individual) -> list[dict]:
    """The SIPs of the person the client may see that have a plan and still share it."""
    plans = []
    sips = (
        sips_visible_to(user=request.user)
        .filter(individual=individual)
        .select_related("individual", "initiating_organisation", "consent")
        .order_by("pk")
    )
    for sip in sips:
        plan = (
            sip.plan_versions.select_related("created_by", "lead_person")
            .order_by("-number")
            .first()
        )
        if plan is None or sip.sharing_stopped:
            continue
        pdf = pdf_bytes(
            request=request,
            template_name="sip/plan_print.html",
            context={
                "sip": sip,
                "plan": plan,
                "interventions": plan.interventions.select_related("organisation"),
            },
        )
        units = [*sip.participants.all(), sip.initiating_organisation]
        units += [i.organisation for i in plan.interventions.all() if i.organisation_id]
        # The accountable unit's approval of this version signs it (legalAuthenticator).
        signed = (
            PlanApproval.objects.filter(plan=plan, organisation=sip.initiating_organisation)
            .select_related("approved_by")
            .first()
        )
        plans.append(
            {
                "process": sip,
                "document_id": f"sip-{sip.pk}-plan-{plan.number}",
                "title": _("Coordinated individual plan (SIP), version %(number)s")
                % {"number": plan.number},
                "time": plan.created_at,
                "author": plan.created_by,
                "organisation": sip.initiating_organisation,
                "approved_for_patient": sip.consent_in_force,
                "signed": (signed.approved_at, signed.approved_by) if signed else None,
                "care_contact_id": (
                    f"discharge-{sip.origin_discharge_id}" if sip.origin_discharge_id else None
                ),
                "type": "SIP",
                "pdf": pdf,
                "participants": _hsa_ids(units),
            }
        )
    return plans


def discharge_plans(request, individual) -> list[dict]:
    """The person's discharges the client may see once the kommun has been told
    (a plan exists to share): the printed discharge summary."""
    plans = []
    processes = (
        discharge_selectors.discharges_visible_to(user=request.user)
        .filter(individual=individual, admission_notice_sent_at__isnull=False)
        .exclude(stage=Stage.WITHDRAWN)
        .select_related("individual", "ward", "registered_by")
        .order_by("pk")
    )
    approved = _latest_consent_in_force(individual, Consent.Scope.INFORMATION_SHARING)
    for process in processes:
        deadlines = [
            d
            for d in discharge_selectors.discharge_deadlines(process=process)
            if d.status != "CANCELLED"
        ]
        for deadline in deadlines:
            deadline.state_label = STATE_LABELS[deadline.display_state]
        units = process.unit_rows.select_related("organisation")
        pdf = pdf_bytes(
            request=request,
            template_name="discharge/discharge_print.html",
            context={"process": process, "units": units, "deadlines": deadlines},
        )
        compulsory = process.leaves_for_open_compulsory_care
        plans.append(
            {
                "process": process,
                "document_id": f"discharge-{process.pk}",
                "title": (
                    _("Coordinated plan under LPT/LRV")
                    if compulsory
                    else _("Coordinated plan at discharge")
                ),
                "time": process.admission_notice_sent_at,
                "author": process.registered_by,
                "organisation": process.ward,
                "approved_for_patient": approved,
                "signed": None,  # the discharge plan is not signed in this system
                "care_contact_id": f"discharge-{process.pk}",
                "type": "SPLPTLRV" if compulsory else "SPU",
                "pdf": pdf,
                "participants": _hsa_ids([process.ward, *(u.organisation for u in units)]),
            }
        )
    return plans


# --- The response ---------------------------------------------------------------------------


def _sub(parent, name, text=None, ns=CORE_NS):
    element = ET.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = str(text)
    return element


def _care_plan(parent, plan, number):
    care_plan = _sub(parent, "carePlan", ns=RESPONDER_NS)
    header = _sub(care_plan, "carePlanHeader")
    _sub(header, "documentId", plan["document_id"])
    _sub(header, "sourceSystemHSAId", settings.RIV_SOURCE_SYSTEM_HSA_ID)
    _sub(header, "documentTitle", plan["title"])
    if plan["time"] is not None:
        _sub(header, "documentTime", _timestamp(plan["time"]))
    patient = _sub(header, "patientId")
    _sub(patient, "id", number.digits)
    _sub(
        patient,
        "type",
        SAMORDNINGSNUMMER_OID if number.is_coordination_number else PERSONNUMMER_OID,
    )
    professional = _sub(header, "accountableHealthcareProfessional")
    _sub(professional, "authorTime", _timestamp(plan["time"] or timezone.now()))
    author = plan["author"]
    if author is not None and author.get_full_name():
        _sub(professional, "healthcareProfessionalName", author.get_full_name())
    organisation: Organisation = plan["organisation"]
    if organisation is not None:
        unit = _sub(professional, "healthcareProfessionalOrgUnit")
        if organisation.hsa_id:
            _sub(unit, "orgUnitHSAId", organisation.hsa_id)
        _sub(unit, "orgUnitName", organisation.name)
        if organisation.hsa_id:
            _sub(professional, "healthcareProfessionalCareUnitHSAId", organisation.hsa_id)
    if plan["signed"] is not None:
        signed_at, signed_by = plan["signed"]
        authenticator = _sub(header, "legalAuthenticator")
        _sub(authenticator, "signatureTime", _timestamp(signed_at))
        if signed_by is not None and signed_by.get_full_name():
            _sub(authenticator, "legalAuthenticatorName", signed_by.get_full_name())
    _sub(header, "approvedForPatient", "true" if plan["approved_for_patient"] else "false")
    if plan["care_contact_id"]:
        _sub(header, "careContactId", plan["care_contact_id"])
    body = _sub(care_plan, "carePlanBody")
    content = _sub(body, "content")
    _sub(content, "mediaType", "application/pdf")
    _sub(content, "value", base64.b64encode(plan["pdf"]).decode("ascii"))
    for hsa_id in plan["participants"]:
        participant = _sub(body, "participatingCareUnitHSAId")
        _sub(participant, "root", HSA_ID_OID)
        _sub(participant, "extension", hsa_id)
    _sub(body, "typeOfCarePlanEnum", plan["type"])


def _envelope():
    envelope = ET.Element(f"{{{SOAP_NS}}}Envelope")
    ET.SubElement(envelope, f"{{{SOAP_NS}}}Header")
    return envelope, ET.SubElement(envelope, f"{{{SOAP_NS}}}Body")


def _xml_response(envelope, status=200) -> HttpResponse:
    xml = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return HttpResponse(xml, status=status, content_type="text/xml; charset=utf-8")


def fault_response(fault: SoapFault) -> HttpResponse:
    envelope, body = _envelope()
    element = ET.SubElement(body, f"{{{SOAP_NS}}}Fault")
    ET.SubElement(element, "faultcode").text = fault.code
    ET.SubElement(element, "faultstring").text = fault.reason
    response = _xml_response(envelope, status=fault.status)
    if fault.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kardborre"'
    return response


def _authenticate(request):
    header = request.headers.get("Authorization", "")
    scheme, _sep, key = header.partition(" ")
    client = api_client_for_key(key.strip()) if scheme.lower() == "bearer" else None
    if client is None:
        raise SoapFault("soapenv:Client", "Missing, unknown or revoked API key.", 401)
    wait = rate_limit_check(client_id=client.pk)
    if wait is not None:
        raise SoapFault("soapenv:Client", f"Rate limited; try again in {wait} s.", 429)
    if not client.has_scope(Scope.SIP_READ):
        raise SoapFault("soapenv:Client", f"This operation needs the scope {Scope.SIP_READ}.", 403)
    request.user = client.user
    request.api_client = client
    request.auth = client
    return client


@csrf_exempt
@login_not_required
@require_POST
def get_care_plans(request):
    try:
        _authenticate(request)
        number = parse_request(request.body)
        filters = parse_filters(request.body)
        individual = Individual.objects.filter(personal_identity_number=number.formatted).first()
        plans = []
        if individual is not None:
            with translation.override("sv"):
                plans = sip_plans(request, individual) + discharge_plans(request, individual)
            plans = plans_filtered(plans, filters)
    except SoapFault as fault:
        return fault_response(fault)
    envelope, body = _envelope()
    answer = ET.SubElement(body, f"{{{RESPONDER_NS}}}GetCarePlansResponse")
    for plan in plans:
        if len(plan["pdf"]) > MAX_CONTENT_BYTES:
            logger.warning("Care plan %s is over 100 KB as PDF; left out", plan["document_id"])
            continue
        _care_plan(answer, plan, number)
        log_access(
            request, process=plan["process"], individual=plan["process"].individual, purpose=PURPOSE
        )
    result = _sub(answer, "result", ns=RESPONDER_NS)
    _sub(result, "resultCode", "OK")
    # logId is required by the contract: the id under which this answer is logged here.
    log_id = uuid.uuid4().hex
    _sub(result, "logId", log_id)
    logger.info("GetCarePlans answered: log id %s, %d plan(s)", log_id, len(answer) - 1)
    return _xml_response(envelope)


app_name = "riv"
urlpatterns = [path("GetCarePlans/2/", get_care_plans, name="getcareplans")]
