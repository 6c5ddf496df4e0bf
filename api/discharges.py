"""ADT events and the discharge process (LUS) for systems.

Reads go through ``discharges_visible_to`` (the one access rule): another
organisation's case is a 404, exactly as on the pages. Writes go through the flow's
nodes and the discharge services (``flowrun``), one transaction per request.
"""

import hashlib
import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from ninja import Router, Status
from viewflow.workflow.status import STATUS

from coordination.models import AccessLog, Individual, Membership, Organisation
from workflows.discharge import selectors, services
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import (
    KOMMUN_ROLES,
    DischargeEvent,
    DischargeProcess,
    DischargeUnit,
    UnitRole,
)

from . import flowrun
from .auth import require_scope
from .common import ListQuery, individual_out, log_access, paginate
from .models import ApiEvent, Scope
from .problems import Problem, field_error
from .schemas import (
    PROBLEM_CODES,
    AdmissionNoticeIn,
    AdmitEvent,
    DischargeEventIn,
    DischargeOut,
    DischargePage,
    EventResult,
    FastVardkontaktIn,
    JudgementIn,
    ProblemOut,
    ReadyNoticeIn,
    RevocationIn,
    SipKallelseIn,
    TransferEvent,
    UnitAnswerIn,
    UnitPlanIn,
)

router = Router(tags=["discharge"])
PURPOSE = "Utskrivningsärende (LUS), API"
ProblemResponses = {PROBLEM_CODES: ProblemOut}


# --- Reading ------------------------------------------------------------------------------


def _visible(request, pk) -> DischargeProcess:
    process = (
        selectors.discharges_visible_to(user=request.user)
        .select_related("individual", "ward", "vardcentral")
        .filter(pk=pk)
        .first()
    )
    if process is None:
        raise Http404
    return process


def _org(organisation):
    return None if organisation is None else {"id": organisation.pk, "name": organisation.name}


def discharge_out(process: DischargeProcess) -> dict:
    now = timezone.now()
    deadlines = [
        {
            "kind": d.kind,
            "subject_key": d.subject_key,
            "responsible_organisation": _org(d.responsible_organisation),
            "due_at": d.due_at,
            "status": d.status,
            "overdue": d.status == "OPEN" and d.due_at < now,
            "met_at": d.met_at,
            "escalation_level": d.escalation_level,
        }
        for d in selectors.discharge_deadlines(process=process)
    ]
    units = [
        {
            "role": u.role,
            "organisation": _org(u.organisation),
            "notified_at": u.notified_at,
            "ack_state": u.ack_state,
            "ack_reason": u.ack_reason,
            "ack_at": u.ack_at,
            "interventions_needed": u.interventions_needed,
            "planned_at": u.planned_at,
        }
        for u in process.unit_rows.select_related("organisation").order_by("role")
    ]
    steps = [
        {
            "step": task.flow_task.name,
            "organisation_id": int(task.owner_permission_obj_pk)
            if (task.owner_permission_obj_pk or "").isdigit()
            else None,
        }
        for task in process.task_set.filter(
            flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
        ).order_by("pk")
    ]
    return {
        "id": process.pk,
        "stage": process.stage,
        "individual": individual_out(process.individual),
        "ward": _org(process.ward),
        "admitted_at": process.admitted_at,
        "care_type": process.care_type,
        "judgement": process.judgement,
        "judged_at": process.judged_at,
        "late_registration_reason": process.late_registration_reason,
        "estimated_discharge_date": process.estimated_discharge_date,
        "admission_notice_sent_at": process.admission_notice_sent_at,
        "vardcentral": _org(process.vardcentral),
        "fast_vardkontakt_appointed_at": process.fast_vardkontakt_appointed_at,
        "ready_for_discharge_at": process.ready_for_discharge_at,
        "ready_notices": list(process.ready_notices.order_by("recorded_at", "pk")),
        "sip_kallelse_sent_at": process.sip_kallelse_sent_at,
        "discharged_at": process.discharged_at,
        "discharge_information_sent_at": process.discharge_information_sent_at,
        "withdrawn_at": process.withdrawn_at,
        "units": units,
        "deadlines": deadlines,
        "open_steps": steps,
    }


@router.get(
    "/discharges",
    response={200: DischargePage, **ProblemResponses},
    summary="Discharges the client's organisation takes part in",
)
def discharge_list(request, params: ListQuery, stage: str = ""):
    """Scope `discharge:read`. Newest admission first. `updated_since`: discharges
    with an event (any step) at or after that time."""
    require_scope(request, Scope.DISCHARGE_READ)
    qs = selectors.discharges_visible_to(user=request.user).select_related("individual", "ward")
    if stage:
        qs = qs.filter(stage=stage)
    if params.updated_since is not None:
        qs = qs.filter(
            pk__in=DischargeEvent.objects.filter(at__gte=params.updated_since).values("process_id")
        )
    count, items = paginate(qs.order_by("-admitted_at", "-pk"), params)
    for process in items:
        log_access(request, process=process, individual=process.individual, purpose=PURPOSE)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "items": [
            {
                "id": p.pk,
                "stage": p.stage,
                "personal_identity_number": p.individual.personal_identity_number,
                "ward": _org(p.ward),
                "admitted_at": p.admitted_at,
                "estimated_discharge_date": p.estimated_discharge_date,
                "ready_for_discharge_at": p.ready_for_discharge_at,
                "discharged_at": p.discharged_at,
            }
            for p in items
        ],
    }


@router.get(
    "/discharges/{int:discharge_id}",
    response={200: DischargeOut, **ProblemResponses},
    summary="A discharge: facts, stage, deadlines, units and their answers, open steps",
)
def discharge_detail(request, discharge_id: int):
    """Scope `discharge:read`. Another organisation's case is 404."""
    require_scope(request, Scope.DISCHARGE_READ)
    process = _visible(request, discharge_id)
    log_access(request, process=process, individual=process.individual, purpose=PURPOSE)
    return discharge_out(process)


# --- ADT events (idempotent by the sender's event id) ---------------------------------------


def _body_hash(kind: str, payload) -> str:
    data = json.dumps([kind, payload.model_dump(mode="json")], sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def _idempotent(request, *, kind: str, payload, handle):
    """Run ``handle`` once per (client, event id). The first successful result is
    stored in the same transaction as its effects and returned for every repeat; the
    same id with a different body is a conflict. A refused event stores nothing, so
    a corrected event may reuse its id."""
    client = request.auth
    body_hash = _body_hash(kind, payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ApiEvent.objects.create(
                    client=client, event_id=payload.event_id, kind=kind, body_hash=body_hash
                )
        except IntegrityError:
            # A concurrent first request holds the row until it commits; then we see it.
            first = ApiEvent.objects.get(client=client, event_id=payload.event_id)
            if first.body_hash != body_hash:
                raise Problem(
                    409,
                    "event-id-reused",
                    f"Event id {payload.event_id} was already used with another body.",
                    errors=[field_error("event_id", "already used with another body", "reused")],
                ) from None
            return Status(first.response_status, {**first.response_body, "replayed": True})
        process = handle()
        body = {
            "event_id": payload.event_id,
            "event_type": kind,
            "discharge_id": process.pk,
            "stage": process.stage,
            "replayed": False,
        }
        status = 201 if kind == "ADMIT" else 200
        event.response_status = status
        event.response_body = body
        event.save(update_fields=["response_status", "response_body"])
        log_access(
            request,
            process=process,
            individual=process.individual,
            purpose=PURPOSE,
            action=AccessLog.Action.CREATE if kind == "ADMIT" else AccessLog.Action.UPDATE,
        )
    return Status(status, body)


def _individual(pnr: str) -> Individual:
    individual = Individual.objects.filter(personal_identity_number=pnr).first()
    if individual is None:
        raise Problem(
            422,
            "invalid-input",
            "No person with this number is in the register.",
            errors=[field_error("personal_identity_number", "not in the register", "unknown")],
        )
    return individual


def _organisation(organisation_id, field: str) -> Organisation:
    organisation = Organisation.objects.filter(pk=organisation_id, is_active=True).first()
    if organisation is None:
        raise Problem(
            422,
            "invalid-input",
            f"No active organisation {organisation_id}.",
            errors=[field_error(field, "no such active organisation", "unknown")],
        )
    return organisation


def _open_discharge_for(request, pnr: str) -> DischargeProcess:
    individual = _individual(pnr)
    process = selectors.open_discharge_of(individual=individual)
    if process is None or not (
        selectors.discharges_visible_to(user=request.user).filter(pk=process.pk).exists()
    ):
        raise Problem(
            404,
            "not-found",
            "No open discharge of this person that the client may see.",
            errors=[field_error("personal_identity_number", "no open discharge", "not_found")],
        )
    return DischargeProcess.objects.select_related("individual", "ward").get(pk=process.pk)


@router.post(
    "/adt/admit",
    response={201: EventResult, 200: EventResult, **ProblemResponses},
    summary="ADT admit: register an admission",
)
def adt_admit(request, payload: AdmitEvent):
    """Scope `discharge:write`; the ward must be the client's organisation. Starts a
    discharge (LUS). Idempotent by `event_id`: a repeat returns the first result
    (`replayed: true`); the same id with a different body is 409. A person with an open
    discharge is 409 `already-open`: a move between wards is a transfer."""
    require_scope(request, Scope.DISCHARGE_WRITE)

    def handle():
        return flowrun.discharge_start(
            user=request.user,
            individual=_individual(payload.personal_identity_number),
            ward=_organisation(payload.ward_id, "ward_id"),
            admitted_at=payload.admitted_at,
            care_type=payload.care_type,
            leaves_for_open_compulsory_care=payload.leaves_for_open_compulsory_care,
            judgement=payload.judgement,
            late_registration_reason=payload.late_registration_reason,
        )

    return _idempotent(request, kind="ADMIT", payload=payload, handle=handle)


@router.post(
    "/adt/transfer",
    response={200: EventResult, **ProblemResponses},
    summary="ADT transfer: the patient moved to another ward",
)
def adt_transfer(request, payload: TransferEvent):
    """Scope `discharge:write`. The open discharge moves with the patient
    (``discharge_change_ward``). Idempotent by `event_id`."""
    require_scope(request, Scope.DISCHARGE_WRITE)

    def handle():
        process = _open_discharge_for(request, payload.personal_identity_number)
        services.discharge_change_ward(
            process=process,
            ward=_organisation(payload.ward_id, "ward_id"),
            note=payload.note,
            by=request.user,
        )
        return DischargeProcess.objects.select_related("individual").get(pk=process.pk)

    return _idempotent(request, kind="TRANSFER", payload=payload, handle=handle)


@router.post(
    "/adt/discharge",
    response={200: EventResult, **ProblemResponses},
    summary="ADT discharge: the patient left the ward",
)
def adt_discharge(request, payload: DischargeEventIn):
    """Scope `discharge:write`. Records the discharge and the information given
    (the flow's discharge step); needs an utskrivningsklar notice in force and, where a
    vårdcentral takes part, its acknowledgement. Idempotent by `event_id`."""
    require_scope(request, Scope.DISCHARGE_WRITE)

    def handle():
        process = _open_discharge_for(request, payload.personal_identity_number)
        flowrun.discharge_step(
            process=process,
            node=DischargeFlow.discharge,
            user=request.user,
            service=services.discharge_record,
            discharged_at=payload.discharged_at,
            information_sent_at=payload.information_sent_at,
            individual_declined_interventions=payload.individual_declined_interventions,
        )
        return DischargeProcess.objects.select_related("individual").get(pk=process.pk)

    return _idempotent(request, kind="DISCHARGE", payload=payload, handle=handle)


# --- Steps of the process -------------------------------------------------------------------


def _step(request, discharge_id, **kwargs) -> dict:
    require_scope(request, Scope.DISCHARGE_WRITE)
    with transaction.atomic():
        process = _visible(request, discharge_id)
        flowrun.discharge_step(process=process, user=request.user, **kwargs)
        process = _visible(request, discharge_id)
        log_access(
            request,
            process=process,
            individual=process.individual,
            purpose=PURPOSE,
            action=AccessLog.Action.UPDATE,
        )
        return discharge_out(process)


@router.post(
    "/discharges/{int:discharge_id}/judgement",
    response={200: DischargeOut, **ProblemResponses},
    summary="The ward's judgement of needs after discharge",
)
def discharge_judgement(request, discharge_id: int, payload: JudgementIn):
    """Scope `discharge:write`; the ward's client. `NO_NEED` closes the case."""
    return _step(
        request,
        discharge_id,
        node=DischargeFlow.judge,
        service=services.discharge_judge,
        judgement=payload.judgement,
    )


@router.post(
    "/discharges/{int:discharge_id}/admission-notice",
    response={200: DischargeOut, **ProblemResponses},
    summary="Send the inskrivningsmeddelande to the units concerned",
)
def discharge_admission_notice(request, discharge_id: int, payload: AdmissionNoticeIn):
    """Scope `discharge:write`; the ward's client. At least one unit."""

    def org(value, field):
        return None if value is None else _organisation(value, field)

    return _step(
        request,
        discharge_id,
        node=DischargeFlow.send_admission_notice,
        service=services.admission_notice_send,
        socialtjanst=org(payload.socialtjanst_id, "socialtjanst_id"),
        kommunal_hsv=org(payload.kommunal_hsv_id, "kommunal_hsv_id"),
        vardcentral=org(payload.vardcentral_id, "vardcentral_id"),
        estimated_discharge_date=payload.estimated_discharge_date,
    )


@router.post(
    "/discharges/{int:discharge_id}/units/{role}/answer",
    response={200: DischargeOut, **ProblemResponses},
    summary="A unit acknowledges (or rejects) the admission notice",
)
def discharge_unit_answer(request, discharge_id: int, role: UnitRole, payload: UnitAnswerIn):
    """Scope `discharge:write`; the client of the unit in `role`. Rejecting as "not
    our resident" needs a reason; a kommun unit names the right kommun's receiving unit
    in `forward_to` (its organisation id: the notice is forwarded to it at once, with
    its own answer deadline) or `"unknown"`. The same service as the answer page."""
    require_scope(request, Scope.DISCHARGE_WRITE)
    rejected = payload.answer == DischargeUnit.AckState.REJECTED_NOT_RESIDENT
    if payload.forward_to is not None:
        if not rejected:
            raise Problem(
                422,
                "invalid-input",
                "The notice is forwarded only when the person is not your resident.",
                errors=[field_error("forward_to", "only with REJECTED_NOT_RESIDENT", "invalid")],
            )
        if role not in KOMMUN_ROLES:
            raise Problem(
                422,
                "invalid-input",
                "Only a municipal unit forwards the notice to another municipality.",
                errors=[field_error("forward_to", "only for a municipal role", "invalid")],
            )

    def answer(*, process, by, **kwargs):
        # Inside the step: after the access rule, rolled back with it.
        if rejected and not payload.reason.strip():
            raise Problem(
                422,
                "refused",
                "Give the reason for rejecting the admission notice.",
                errors=[field_error("reason", "required when rejecting", "refused")],
            )
        forward_to = None
        if isinstance(payload.forward_to, int):
            forward_to = _organisation(payload.forward_to, "forward_to")
            # The target's own checks first, so that a refusal names the field.
            unit = process.unit_rows.filter(
                role=role, superseded_at__isnull=True, organisation=request.auth.organisation
            ).first()
            if unit is not None:
                try:
                    services.check_forward_target(unit=unit, organisation=forward_to)
                except DjangoValidationError as exc:
                    raise DjangoValidationError({"forward_to": exc.messages}) from None
        return services.unit_answer(
            process=process,
            by=by,
            forward_to=forward_to,
            organisation=request.auth.organisation,
            **kwargs,
        )

    return _step(
        request,
        discharge_id,
        node=flowrun.UNIT_ANSWER_NODES[role],
        organisation=request.auth.organisation,
        service=answer,
        role=role,
        ack_state=payload.answer,
        reason=payload.reason,
    )


@router.post(
    "/discharges/{int:discharge_id}/ready-notice",
    response={200: DischargeOut, **ProblemResponses},
    summary="Send the utskrivningsklar notice",
)
def discharge_ready_notice(request, discharge_id: int, payload: ReadyNoticeIn):
    """Scope `discharge:write`; the ward's client. Day 0 counts from when the system
    records it; an earlier `issued_at` needs a `backdate_reason`."""
    return _step(
        request,
        discharge_id,
        node=DischargeFlow.issue_ready_notice,
        service=services.ready_notice_issue,
        issued_at=payload.issued_at or timezone.now(),
        backdate_reason=payload.backdate_reason,
    )


@router.post(
    "/discharges/{int:discharge_id}/ready-notice/acknowledge",
    response={200: DischargeOut, **ProblemResponses},
    summary="The vårdcentral acknowledges the utskrivningsklar notice",
)
def discharge_ready_acknowledge(request, discharge_id: int):
    """Scope `discharge:write`; the vårdcentral's client."""
    return _step(
        request,
        discharge_id,
        node=DischargeFlow.ack_ready,
        service=services.ready_notice_acknowledge,
    )


@router.post(
    "/discharges/{int:discharge_id}/ready-notice/revoke",
    response={200: DischargeOut, **ProblemResponses},
    summary="Revoke the utskrivningsklar notice in force",
)
def discharge_ready_revoke(request, discharge_id: int, payload: RevocationIn):
    """Scope `discharge:write`; the ward's client. The clocks counted from the notice
    stop; a new notice restarts them."""
    return _step(
        request,
        discharge_id,
        node=DischargeFlow.discharge,
        service=services.ready_notice_revoke,
        reason=payload.reason,
    )


@router.post(
    "/discharges/{int:discharge_id}/fast-vardkontakt",
    response={200: DischargeOut, **ProblemResponses},
    summary="The vårdcentral appoints the fast vårdkontakt",
)
def discharge_fast_vardkontakt(request, discharge_id: int, payload: FastVardkontaktIn):
    """Scope `discharge:write`; the vårdcentral's client, after it acknowledged the
    admission notice. The person must be an active member of the vårdcentral."""

    def appoint(*, process, by):
        # Inside the step: after the access rule, rolled back with it.
        person = (
            get_user_model()
            .objects.filter(
                username=payload.person_username,
                is_active=True,
                memberships__organisation=process.vardcentral,
                memberships__is_active=True,
            )
            .exclude(memberships__role=Membership.Role.SYSTEM)
            .first()
        )
        if person is None:
            raise Problem(
                422,
                "invalid-input",
                "No active person of the vårdcentral with this sign-in name.",
                errors=[
                    field_error("person_username", "not a member of the vårdcentral", "unknown")
                ],
            )
        return services.fast_vardkontakt_appoint(process=process, person=person, by=by)

    return _step(
        request, discharge_id, node=DischargeFlow.appoint_fast_vardkontakt, service=appoint
    )


@router.post(
    "/discharges/{int:discharge_id}/units/{role}/plan",
    response={200: DischargeOut, **ProblemResponses},
    summary="A unit records the interventions it plans after discharge",
)
def discharge_unit_plan(request, discharge_id: int, role: UnitRole, payload: UnitPlanIn):
    """Scope `discharge:write`; the client of the unit in `role` that acknowledged the
    notice (each unit of a role plans for itself). The same service as the planning
    page."""
    organisation = request.auth.organisation
    return _step(
        request,
        discharge_id,
        node=flowrun.UNIT_PLAN_NODES[role],
        organisation=organisation,
        service=lambda **kwargs: services.interventions_plan(organisation=organisation, **kwargs),
        role=role,
        interventions_needed=payload.interventions_needed,
        planned_interventions=payload.planned_interventions,
    )


@router.post(
    "/discharges/{int:discharge_id}/sip-kallelse",
    response={200: DischargeOut, **ProblemResponses},
    summary="The vårdcentral sends the kallelse to SIP (or says why none is sent)",
)
def discharge_sip_kallelse(request, discharge_id: int, payload: SipKallelseIn):
    """Scope `discharge:write`; the vårdcentral's client, once the utskrivningsklar
    notice is in force. `SENT` starts a SIP linked to the discharge (then driven
    through `/sips/{id}/…`); its invitations going out meet the kallelse deadline."""
    return _step(
        request,
        discharge_id,
        node=DischargeFlow.sip_kallelse,
        service=services.sip_kallelse_record,
        sent=payload.action == "SENT",
        skipped_reason=payload.skipped_reason,
    )
