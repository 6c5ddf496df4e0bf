"""Our records as FHIR R4 resources (base specification, no national profile claimed).

Each builder returns a dict that ``validated`` has parsed with the ``fhir.resources``
model of its type, so that nothing leaves the facade that the models refuse. The
models are ``fhir.resources.R4B`` (FHIR 4.3.0): for the six resources served here the
elements we fill are the same in R4 (4.0.1), which is what the CapabilityStatement
claims. Codes of our own live under ``<SITE_URL>/fhir/`` (``canonical``).
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from coordination.models import Huvudman, Individual, Organisation
from workflows.escalation import kind_label
from workflows.models import Deadline
from workflows.sip.models import Invitation, Meeting, PlanVersion, SipProcess

#: The Swedish identifiers (Inera's OIDs).
PERSONNUMMER = "urn:oid:1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "urn:oid:1.2.752.129.2.1.3.3"
HSA_ID = "urn:oid:1.2.752.129.2.1.4.1"
#: Also accepted in a search: the same number under its URL form.
PERSONNUMMER_ALIASES = (PERSONNUMMER, "http://electronichealth.se/identifier/personnummer")
SAMORDNINGSNUMMER_ALIASES = (
    SAMORDNINGSNUMMER,
    "http://electronichealth.se/identifier/samordningsnummer",
)
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

#: Our LUS messages (Communication ids are ``<prefix>-<row id>``).
ADMISSION_NOTICE = "admission-notice"
READY_NOTICE = "ready-notice"

# An Appointment needs an end with its start (invariant app-2); the system records a
# SIP meeting's start only, so the end is the start plus the usual length of one.
SIP_MEETING_MINUTES = 60


def canonical(path: str) -> str:
    """A URL of ours for a definition: ``<SITE_URL>/fhir/<path>``."""
    return f"{settings.SITE_URL.rstrip('/')}/fhir/{path}"


def validated(resource: dict) -> dict:
    """Parse with the ``fhir.resources`` model of its type (raises on anything the
    model refuses) and return the model's own JSON form."""
    model = get_fhir_model_class(resource["resourceType"])
    return model.model_validate(resource).model_dump(mode="json", exclude_none=True)


def instant(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def reference(kind: str, pk, display: str = "") -> dict:
    ref = {"reference": f"{kind}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def organisation_reference(organisation: Organisation | None) -> dict | None:
    if organisation is None:
        return None
    return reference("Organization", organisation.pk, organisation.name)


def patient_reference(individual: Individual) -> dict:
    # No display: a name would leak a protected identity through every reference.
    return reference("Patient", individual.pk)


def case_reference(process) -> dict:
    """The case a Task is about: discharges have no FHIR resource of their own, so
    the reference is logical (our identifier of the case)."""
    kind = "sip" if isinstance(process, SipProcess) else "discharge"
    return {
        "identifier": {"system": canonical(f"identifier/{kind}"), "value": str(process.pk)},
        "display": ("SIP" if kind == "sip" else "Utskrivning (LUS)") + f" #{process.pk}",
    }


def _meta(last_updated) -> dict:
    return {"lastUpdated": instant(last_updated or timezone.now())}


def _coding(system_path: str, code: str, display: str = "") -> dict:
    coding = {"system": canonical(f"CodeSystem/{system_path}"), "code": code}
    if display:
        coding["display"] = str(display)
    return coding


# --- Patient ------------------------------------------------------------------------------


def patient(individual: Individual) -> dict:
    """Minimal: the personnummer or samordningsnummer; the name and address only when
    the identity is not protected."""
    digits = individual.personal_identity_number.replace("-", "")
    system = SAMORDNINGSNUMMER if individual.is_coordination_number else PERSONNUMMER
    resource = {
        "resourceType": "Patient",
        "id": str(individual.pk),
        "meta": _meta(individual.created_at),
        "identifier": [{"use": "official", "system": system, "value": digits}],
    }
    if individual.protected_identity:
        resource["meta"]["security"] = [
            {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}
        ]
    else:
        resource["name"] = [
            {"use": "official", "family": individual.family_name, "given": [individual.given_name]}
        ]
        if individual.address:
            resource["address"] = [{"text": individual.address}]
    return validated(resource)


# --- Organization -------------------------------------------------------------------------


def effective_huvudman(organisation: Organisation) -> str:
    if organisation.huvudman == Huvudman.PRIVATE and organisation.acting_for:
        return organisation.acting_for
    return organisation.huvudman


def organization(organisation: Organisation) -> dict:
    """With its reachability in the regional IT support as an extension of ours
    (``YES``, ``NO`` or ``UNKNOWN``: unknown is a fact, never left out)."""
    resource = {
        "resourceType": "Organization",
        "id": str(organisation.pk),
        "meta": _meta(organisation.updated_at),
        "extension": [
            {
                "url": canonical("StructureDefinition/organization-reachability"),
                "valueCode": organisation.reachability,
            }
        ],
        "active": organisation.is_active,
        "type": [
            {
                "coding": [
                    _coding("organisation-kind", organisation.kind, organisation.get_kind_display())
                ]
            },
            {
                "coding": [
                    _coding(
                        "huvudman",
                        effective_huvudman(organisation),
                        Huvudman(effective_huvudman(organisation)).label,
                    )
                ]
            },
        ],
        "name": organisation.name,
    }
    if organisation.hsa_id:
        resource["identifier"] = [{"system": HSA_ID, "value": organisation.hsa_id}]
    telecom = []
    if organisation.phone:
        telecom.append({"system": "phone", "value": organisation.phone, "use": "work"})
    if organisation.functional_mailbox:
        telecom.append({"system": "email", "value": organisation.functional_mailbox, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    if organisation.parent_id:
        resource["partOf"] = reference("Organization", organisation.parent_id)
    return validated(resource)


# --- Task (a deadline: a duty of one organisation in one case) -----------------------------

TASK_STATUS = {
    Deadline.Status.OPEN: "ready",
    # A breached duty is still owed: it may be met late.
    Deadline.Status.BREACHED: "ready",
    Deadline.Status.MET: "completed",
    Deadline.Status.CANCELLED: "cancelled",
}


def task(deadline: Deadline, *, case, last_updated) -> dict:
    """``case`` is the deadline's process as its flow's model (discharge or SIP)."""
    resource = {
        "resourceType": "Task",
        "id": str(deadline.pk),
        "meta": _meta(last_updated),
        "status": TASK_STATUS[deadline.status],
        "businessStatus": {
            "coding": [_coding("deadline-state", deadline.display_state)],
            "text": deadline.display_state,
        },
        "intent": "order",
        "code": {
            "coding": [_coding("deadline-kind", deadline.kind, kind_label(deadline.kind))],
            "text": str(kind_label(deadline.kind)),
        },
        "focus": case_reference(case),
        "for": patient_reference(case.individual),
        "authoredOn": instant(deadline.created_at),
        "lastModified": instant(last_updated),
        "owner": organisation_reference(deadline.responsible_organisation),
        "restriction": {"period": {"end": instant(deadline.due_at)}},
    }
    if deadline.status == Deadline.Status.MET:
        resource["executionPeriod"] = {"end": instant(deadline.met_at)}
    return validated(resource)


# --- Communication (a LUS message and its acknowledgement) --------------------------------


def _acknowledgement(state: str, at, reason: str = "") -> dict:
    """Our extension: the receiving unit's answer to the message."""
    parts = [{"url": "state", "valueCode": state}]
    if at is not None:
        parts.append({"url": "at", "valueDateTime": instant(at)})
    if reason:
        parts.append({"url": "reason", "valueString": reason})
    return {"url": canonical("StructureDefinition/lus-acknowledgement"), "extension": parts}


def admission_notice(unit, *, last_updated) -> dict:
    """The inskrivningsmeddelande to one unit (LUS 4 kap. 1–2 §§) with its answer."""
    process = unit.process
    return validated(
        {
            "resourceType": "Communication",
            "id": f"{ADMISSION_NOTICE}-{unit.pk}",
            "meta": _meta(last_updated),
            "extension": [_acknowledgement(unit.ack_state, unit.ack_at, unit.ack_reason)],
            "status": "completed",
            "category": [
                {"coding": [_coding("lus-message", "ADMISSION_NOTICE", "Inskrivningsmeddelande")]}
            ],
            "subject": patient_reference(process.individual),
            "about": [case_reference(process)],
            "sent": instant(unit.notified_at),
            "received": instant(unit.ack_at),
            "sender": organisation_reference(process.ward),
            "recipient": [organisation_reference(unit.organisation)],
            "reasonCode": [{"coding": [_coding("lus-unit-role", unit.role)]}],
        }
    )


def ready_notice(notice, *, units, last_updated) -> dict:
    """The utskrivningsklar notice (LUS 5 kap.) to every unit of the admission notice;
    the vårdcentral acknowledges it. A revoked notice is kept with its revocation."""
    process = notice.process
    if notice.acknowledged_at is not None:
        state = "ACKNOWLEDGED"
    elif notice.revoked_at is not None:
        state = "REVOKED"
    else:
        state = "PENDING"
    extension = [_acknowledgement(state, notice.acknowledged_at)]
    if notice.revoked_at is not None:
        extension.append(
            {
                "url": canonical("StructureDefinition/lus-revocation"),
                "extension": [
                    {"url": "at", "valueDateTime": instant(notice.revoked_at)},
                    {"url": "reason", "valueString": notice.revocation_reason or "-"},
                ],
            }
        )
    resource = {
        "resourceType": "Communication",
        "id": f"{READY_NOTICE}-{notice.pk}",
        "meta": _meta(last_updated),
        "extension": extension,
        "status": "completed",
        "category": [
            {"coding": [_coding("lus-message", "READY_FOR_DISCHARGE_NOTICE", "Utskrivningsklar")]}
        ],
        "subject": patient_reference(process.individual),
        "about": [case_reference(process)],
        # Day 0 counts from when the system sent it (the time typed may be earlier).
        "sent": instant(notice.recorded_at),
        "received": instant(notice.acknowledged_at),
        "sender": organisation_reference(process.ward),
        "payload": [{"contentString": f"Utskrivningsklar {instant(notice.issued_at)}"}],
    }
    recipients = [organisation_reference(unit.organisation) for unit in units]
    if recipients:
        resource["recipient"] = recipients
    return validated(resource)


# --- CarePlan (the SIP plan) and Appointment (the SIP meeting) -----------------------------


def careplan_status(sip: SipProcess) -> str:
    stage = SipProcess.Stage
    if sip.stage == stage.CLOSED:
        return "completed"
    if sip.stage in (stage.CONSENT_REVOKED, stage.WITHDRAWN):
        return "revoked"
    return "active"


def careplan(sip: SipProcess, plan: PlanVersion) -> dict:
    """The latest version of the plan: one activity per intervention, performed by
    its organisation, with the huvudman responsible (SoL 2 kap. 7 §, HSL 16 kap. 4 §)."""
    activities = []
    today = timezone.localdate()
    for intervention in plan.interventions.select_related("organisation").order_by(
        "start_date", "pk"
    ):
        organisation = intervention.organisation
        huvudman = effective_huvudman(organisation)
        activities.append(
            {
                "detail": {
                    "extension": [
                        {
                            "url": canonical("StructureDefinition/careplan-huvudman"),
                            "valueCodeableConcept": {
                                "coding": [_coding("huvudman", huvudman, Huvudman(huvudman).label)]
                            },
                        }
                    ],
                    "status": "in-progress" if intervention.start_date <= today else "scheduled",
                    "scheduledPeriod": {"start": intervention.start_date.isoformat()},
                    "performer": [organisation_reference(organisation)],
                    "description": intervention.description,
                }
            }
        )
    resource = {
        "resourceType": "CarePlan",
        "id": str(sip.pk),
        "meta": {"versionId": str(plan.number), "lastUpdated": instant(plan.created_at)},
        "extension": [
            {
                "url": canonical("StructureDefinition/careplan-overall-responsibility"),
                "valueCodeableConcept": {
                    "coding": [
                        _coding(
                            "huvudman",
                            plan.overall_responsibility,
                            Huvudman(plan.overall_responsibility).label,
                        )
                    ]
                },
            },
            {
                "url": canonical("StructureDefinition/careplan-follow-up-date"),
                "valueDate": plan.follow_up_date.isoformat(),
            },
        ],
        "identifier": [{"system": canonical("identifier/sip"), "value": str(sip.pk)}],
        "status": careplan_status(sip),
        "intent": "plan",
        "category": [{"coding": [_coding("careplan-kind", "SIP", "Samordnad individuell plan")]}],
        "title": f"SIP version {plan.number}",
        "description": plan.own_goals,
        "subject": patient_reference(sip.individual),
        "created": instant(plan.created_at),
        "author": organisation_reference(sip.initiating_organisation),
        "contributor": [organisation_reference(o) for o in sip.participants.order_by("name", "pk")],
    }
    if not resource["contributor"]:
        del resource["contributor"]
    if activities:
        resource["activity"] = activities
    if plan.others_actions:
        resource["note"] = [{"text": plan.others_actions}]
    return validated(resource)


PARTICIPANT_STATUS = {
    Invitation.State.ACCEPTED: "accepted",
    Invitation.State.DECLINED: "declined",
    Invitation.State.ACKNOWLEDGED: "tentative",
}


def appointment_status(meeting: Meeting) -> str:
    if meeting.sip.stage == SipProcess.Stage.WITHDRAWN:
        return "cancelled"
    return "fulfilled" if meeting.held_at else "booked"


def appointment(meeting: Meeting) -> dict:
    """The SIP meeting. Organisations are not among the actors an Appointment allows,
    so an invited organisation is named in ``actor.display`` and referenced by our
    extension ``appointment-participant-organization``; the invitation's state is the
    participant's status (sent or undeliverable: needs action)."""
    sip = meeting.sip
    participants = []
    for invitation in meeting.invitations.select_related("organisation").order_by("pk"):
        status = PARTICIPANT_STATUS.get(invitation.state, "needs-action")
        entry = {"status": status, "required": "required"}
        if invitation.kind == Invitation.Kind.INDIVIDUAL:
            entry["actor"] = patient_reference(sip.individual)
        elif invitation.organisation is not None:
            entry["actor"] = {"display": invitation.organisation.name}
            entry["extension"] = [
                {
                    "url": canonical("StructureDefinition/appointment-participant-organization"),
                    "valueReference": organisation_reference(invitation.organisation),
                }
            ]
        else:
            entry["type"] = [
                {"coding": [_coding("sip-participant-kind", invitation.kind)]},
            ]
        participants.append(entry)
    if not participants:
        participants.append({"actor": patient_reference(sip.individual), "status": "needs-action"})
    resource = {
        "resourceType": "Appointment",
        "id": str(meeting.pk),
        "meta": _meta(meeting.held_at or meeting.created_at),
        "status": appointment_status(meeting),
        "serviceCategory": [
            {"coding": [_coding("careplan-kind", "SIP", "Samordnad individuell plan")]}
        ],
        "description": "SIP-möte",
        "start": instant(meeting.starts_at),
        "end": instant(meeting.starts_at + dt.timedelta(minutes=SIP_MEETING_MINUTES)),
        "created": instant(meeting.created_at),
        "participant": participants,
    }
    if meeting.place:
        resource["comment"] = meeting.place
    if sip.plan_versions.exists() and not sip.sharing_stopped:
        resource["supportingInformation"] = [reference("CarePlan", sip.pk)]
    return validated(resource)


# --- OperationOutcome, Bundle ---------------------------------------------------------------


def operation_outcome(*, code: str, diagnostics: str, severity: str = "error") -> dict:
    return validated(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
        }
    )


def searchset(*, total: int, entries: list[dict], links: list[dict], base: str) -> dict:
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "meta": {"lastUpdated": instant(timezone.now())},
        "total": total,
        "link": links,
    }
    if entries:
        bundle["entry"] = [
            {
                "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
                "resource": resource,
                "search": {"mode": "match"},
            }
            for resource in entries
        ]
    return validated(bundle)
