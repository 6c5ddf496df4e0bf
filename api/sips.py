"""SIPs for systems: participants, invitations, meetings and the plan.

Reads go through ``sips_visible_to`` (the one access rule); another organisation's SIP
is a 404. Writes drive the SIP flow's steps (``flowrun``) with the same services as the
pages: the steps routed to the initiating organisation are done by its client; a
participant's client answers its own organisation's invitations and approves the plan
for its organisation; the follow-up is done by the client of the organisation it is
routed to. Outside the flow, as on the SIP page: the consent revoked or renewed at 18
and the withdrawal (makulering), by the initiating organisation's client.

Starting a SIP applies the page's rule for who initiates: the staff member named in
``initiated_by`` (the HSA id, which is the user name) must be an active member of the
client's organisation in a role that calls SIPs (``initiating_organisations_of``); the
SIP is initiated in that person's name, and read and logged with the client as actor.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Status
from viewflow.workflow.status import STATUS

from coordination.models import AccessLog, Individual, Organisation
from workflows.sip import selectors
from workflows.sip import services as sip_services
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, SipEvent

from . import flowrun
from .auth import require_scope
from .common import ListQuery, individual_out, log_access, paginate
from .models import Scope
from .problems import Problem, field_error
from .schemas import (
    PROBLEM_CODES,
    InvitationAnswerIn,
    ProblemOut,
    SecondChannelIn,
    SipConsentIn,
    SipConsentRenewIn,
    SipConsentRevokeIn,
    SipFollowUpIn,
    SipInviteIn,
    SipMeetingIn,
    SipOut,
    SipPage,
    SipPlanApproveIn,
    SipPlanIn,
    SipStartIn,
    SipWithdrawIn,
)

router = Router(tags=["sip"])
PURPOSE = "SIP, API"


def _org(organisation):
    return None if organisation is None else {"id": organisation.pk, "name": organisation.name}


def sip_out(sip) -> dict:
    meetings = []
    for meeting in sip.meetings.order_by("starts_at", "pk"):
        invitations = [
            {
                "id": inv.pk,
                "kind": inv.kind,
                "organisation": _org(inv.organisation),
                "state": inv.state,
                "channel": inv.channel,
                "needs_second_channel": inv.needs_second_channel,
                "second_channel": inv.second_channel,
                "sent_at": inv.sent_at,
                "acknowledged_at": inv.acknowledged_at,
                "answered_at": inv.answered_at,
                "decline_reason": inv.decline_reason,
                "attendance": inv.attendance,
            }
            for inv in meeting.invitations.select_related("organisation").order_by("pk")
        ]
        meetings.append(
            {
                "id": meeting.pk,
                "starts_at": meeting.starts_at,
                "place": meeting.place,
                "held_at": meeting.held_at,
                "invitations": invitations,
            }
        )
    plan = None
    latest = sip.plan_versions.order_by("-number").first()
    if latest is not None and not sip.sharing_stopped:
        plan = {
            "number": latest.number,
            "overall_responsibility": latest.overall_responsibility,
            "own_goals": latest.own_goals,
            "others_actions": latest.others_actions,
            "one_huvudman_reason": latest.one_huvudman_reason,
            "follow_up_date": latest.follow_up_date,
            "created_at": latest.created_at,
            "interventions": [
                {
                    "description": i.description,
                    "organisation": _org(i.organisation),
                    "start_date": i.start_date,
                    "responsible": i.responsible,
                }
                for i in latest.interventions.select_related("organisation").order_by("pk")
            ],
            "approvals": [
                {
                    "organisation": _org(a.organisation),
                    "by_individual": a.by_individual,
                    "approved_at": a.approved_at,
                }
                for a in latest.approvals.select_related("organisation")
            ],
        }
    consent = sip.consent
    if consent is not None:
        consent = {
            "decision": consent.decision,
            "in_force": consent.is_in_force,
            "given_by_individual": consent.given_by_individual,
            "valid_until": consent.valid_until,
            "revoked_at": consent.revoked_at,
        }
    return {
        "id": sip.pk,
        "stage": sip.stage,
        "individual": individual_out(sip.individual),
        "initiating_organisation": _org(sip.initiating_organisation),
        "origin_discharge_id": sip.origin_discharge_id,
        "sharing_stopped": sip.sharing_stopped,
        "consent": consent,
        "withdrawn_at": sip.withdrawn_at,
        "participants": [_org(o) for o in sip.participants.order_by("name", "pk")],
        "meetings": meetings,
        "plan": plan,
        "open_steps": [
            {
                "step": task.flow_task.name,
                "organisation_id": int(task.owner_permission_obj_pk)
                if (task.owner_permission_obj_pk or "").isdigit()
                else None,
            }
            for task in sip.task_set.filter(
                flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]
            ).order_by("pk")
        ],
    }


@router.get("", response={200: SipPage, PROBLEM_CODES: ProblemOut}, summary="SIPs of the client")
def sip_list(request, params: ListQuery):
    """Scope `sip:read`. `updated_since`: SIPs with an event at or after that time."""
    require_scope(request, Scope.SIP_READ)
    qs = selectors.sips_visible_to(user=request.user).select_related(
        "individual", "initiating_organisation"
    )
    if params.updated_since is not None:
        qs = qs.filter(
            pk__in=SipEvent.objects.filter(at__gte=params.updated_since).values("sip_id")
        )
    count, items = paginate(qs.order_by("-pk"), params)
    for sip in items:
        log_access(request, process=sip, individual=sip.individual, purpose=PURPOSE)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "items": [
            {
                "id": s.pk,
                "stage": s.stage,
                "personal_identity_number": s.individual.personal_identity_number,
                "initiating_organisation": _org(s.initiating_organisation),
                "origin_discharge_id": s.origin_discharge_id,
            }
            for s in items
        ],
    }


@router.get(
    "/{int:sip_id}",
    response={200: SipOut, PROBLEM_CODES: ProblemOut},
    summary="A SIP: participants, invitations, meetings, plan",
)
def sip_detail(request, sip_id: int):
    """Scope `sip:read`. Another organisation's SIP is 404."""
    require_scope(request, Scope.SIP_READ)
    sip = (
        selectors.sips_visible_to(user=request.user)
        .select_related("individual", "initiating_organisation", "consent")
        .filter(pk=sip_id)
        .first()
    )
    if sip is None:
        raise Http404
    log_access(request, process=sip, individual=sip.individual, purpose=PURPOSE)
    return sip_out(sip)


# --- Writing --------------------------------------------------------------------------------

ProblemResponses = {PROBLEM_CODES: ProblemOut}


def _visible(request, sip_id):
    sip = (
        selectors.sips_visible_to(user=request.user)
        .select_related("individual", "initiating_organisation", "consent")
        .filter(pk=sip_id)
        .first()
    )
    if sip is None:
        raise Http404
    return sip


def _organisations(ids, field: str) -> list[Organisation]:
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Problem(
            422,
            "invalid-input",
            f"No active organisation {', '.join(str(i) for i in missing)}.",
            errors=[field_error(field, "no such active organisation", "unknown")],
        )
    return [found[i] for i in dict.fromkeys(ids)]


def _written(request, sip, *, action=AccessLog.Action.UPDATE) -> dict:
    sip = _visible(request, sip.pk)
    log_access(request, process=sip, individual=sip.individual, purpose=PURPOSE, action=action)
    return sip_out(sip)


def _step(request, sip_id, *, node, service, **kwargs) -> dict:
    """A step routed to the initiating organisation, done by the client acting for it."""
    require_scope(request, Scope.SIP_WRITE)
    with transaction.atomic():
        sip = _visible(request, sip_id)
        flowrun.sip_step(
            sip=sip,
            node=node,
            user=request.user,
            organisation=request.auth.organisation,
            service=service,
            **kwargs,
        )
        return _written(request, sip)


@router.post(
    "",
    response={201: SipOut, **ProblemResponses},
    summary="Start a SIP, initiated by the client's organisation",
)
def sip_start(request, payload: SipStartIn):
    """Scope `sip:write`. The client's organisation initiates (SoL 2 kap. 7 §) and
    the participants take part; the consent is the next step. As on the page, the one
    who initiates is a staff member: `initiated_by` is their HSA id, and they must be an
    active member of the client's organisation in a role that calls SIPs (case officer,
    designated care contact, nurse, physician, KSA); the SIP is initiated in their name."""
    require_scope(request, Scope.SIP_WRITE)
    initiator = _initiator(request, payload.initiated_by)
    individual = Individual.objects.filter(
        personal_identity_number=payload.personal_identity_number
    ).first()
    if individual is None:
        raise Problem(
            422,
            "invalid-input",
            "No person with this number is in the register.",
            errors=[field_error("personal_identity_number", "not in the register", "unknown")],
        )
    with transaction.atomic():
        sip = flowrun.sip_start(
            user=initiator,
            individual=individual,
            initiating_organisation=request.auth.organisation,
            reason=payload.reason,
            participants=_organisations(payload.participant_ids, "participant_ids"),
        )
        return Status(201, _written(request, sip, action=AccessLog.Action.CREATE))


def _initiator(request, hsa_id: str):
    """The staff member who initiates, under the page's rule (``InitiateView``: the
    organisations ``initiating_organisations_of`` the user)."""
    person = get_user_model().objects.filter(username=hsa_id.strip(), is_active=True).first()
    if (
        person is None
        or not selectors.initiating_organisations_of(user=person)
        .filter(pk=request.auth.organisation_id)
        .exists()
    ):
        raise Problem(
            422,
            "invalid-input",
            "initiated_by must be an active member of the client's organisation in a role "
            "that calls SIPs (case officer, designated care contact, nurse, physician, KSA).",
            errors=[
                field_error(
                    "initiated_by", "no such member in a role that initiates SIPs", "not-allowed"
                )
            ],
        )
    return person


@router.post(
    "/{int:sip_id}/consent",
    response={200: SipOut, **ProblemResponses},
    summary="Record the individual's consent (or that it was declined)",
)
def sip_consent(request, sip_id: int, payload: SipConsentIn):
    """Scope `sip:write`; the initiating organisation's client. For a child, every
    guardian with custody in `guardian_ids`. A declined consent ends the SIP."""

    def record(*, process, by):
        guardians = list(process.individual.related_persons.filter(pk__in=payload.guardian_ids))
        if len(guardians) != len(set(payload.guardian_ids)):
            raise Problem(
                422,
                "invalid-input",
                "Only persons related to this individual decide.",
                errors=[field_error("guardian_ids", "not related to the individual", "unknown")],
            )
        return sip_services.sip_consent_record(
            sip=process,
            decision=payload.decision,
            method=payload.method,
            given_by_individual=payload.given_by_individual,
            guardians=guardians,
            scope_note=payload.scope_note,
            child_view=payload.child_view,
            by=by,
        )

    return _step(request, sip_id, node=SipFlow.consent, service=record)


@router.post(
    "/{int:sip_id}/invitations",
    response={200: SipOut, **ProblemResponses},
    summary="Plan the meeting and send the invitations (kallelse)",
)
def sip_invite(request, sip_id: int, payload: SipInviteIn):
    """Scope `sip:write`; the initiating organisation's client, after consent. Each
    organisation is invited (email to its functional mailbox, an answer deadline);
    one that the planning IT support cannot reach stays a draft until a second
    channel is logged on the SIP page. Give a place, a meeting link or a phone."""

    def invite(*, process, by):
        return sip_services.sip_invite(
            sip=process,
            starts_at=payload.starts_at,
            place=payload.place,
            meeting_link=payload.meeting_link,
            phone=payload.phone,
            organisations=_organisations(payload.organisation_ids, "organisation_ids"),
            include_individual=payload.include_individual,
            by=by,
        )

    return _step(request, sip_id, node=SipFlow.invite, service=invite)


ANSWER_ACTIONS = {"ACKNOWLEDGE": "acknowledge", "ACCEPT": "accept", "DECLINE": "decline"}


@router.post(
    "/{int:sip_id}/invitations/{int:invitation_id}/answer",
    response={200: SipOut, **ProblemResponses},
    summary="A participant answers its organisation's invitation",
)
def sip_invitation_answer(request, sip_id: int, invitation_id: int, payload: InvitationAnswerIn):
    """Scope `sip:write`; the client of the invited organisation (or of the
    initiating one, recording an answer given outside the system). `ACCEPT` or
    `DECLINE` of an invitation not yet acknowledged acknowledges it first; `DECLINE`
    needs a reason. The answer is logged with the client."""
    require_scope(request, Scope.SIP_WRITE)
    client = request.auth
    if payload.answer == "DECLINE" and not payload.reason.strip():
        raise Problem(
            422,
            "invalid-input",
            "Give the reason for declining.",
            errors=[field_error("reason", "required when declining", "required")],
        )
    with transaction.atomic():
        sip = _visible(request, sip_id)
        invitation = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation_id, meeting__sip=sip)
            .first()
        )
        if invitation is None:
            raise Http404
        if client.organisation_id not in (
            invitation.organisation_id,
            sip.initiating_organisation_id,
        ):
            raise Problem(
                403,
                "forbidden",
                "Only the invited organisation or the initiating one answers this invitation.",
            )
        reason = payload.reason.strip() or _("Answered by the system %(client)s.") % {
            "client": client.name
        }
        if payload.answer != "ACKNOWLEDGE" and invitation.state == Invitation.State.SENT:
            invitation = sip_services.invitation_set_state(
                invitation=invitation, action="acknowledge", reason=reason, by=request.user
            )
        sip_services.invitation_set_state(
            invitation=invitation,
            action=ANSWER_ACTIONS[payload.answer],
            reason=reason,
            by=request.user,
        )
        return _written(request, sip)


@router.post(
    "/{int:sip_id}/invitations/{int:invitation_id}/second-channel",
    response={200: SipOut, **ProblemResponses},
    summary="Log the second channel of an invitation the planning IT support cannot deliver",
)
def sip_invitation_second_channel(
    request, sip_id: int, invitation_id: int, payload: SecondChannelIn
):
    """Scope `sip:write`; the initiating organisation's client. An organisation the
    planning IT support may not reach keeps its invitation as a draft (flagged
    `needs_second_channel`) until the second channel is logged; then it is sent. The
    same service as the SIP page."""
    require_scope(request, Scope.SIP_WRITE)
    with transaction.atomic():
        sip = _visible(request, sip_id)
        invitation = Invitation.objects.filter(pk=invitation_id, meeting__sip=sip).first()
        if invitation is None:
            raise Http404
        if request.auth.organisation_id != sip.initiating_organisation_id:
            raise Problem(
                403, "forbidden", "Only the initiating organisation logs the second channel."
            )
        sip_services.invitation_record_second_channel(
            invitation=invitation, channel=payload.channel, note=payload.note, by=request.user
        )
        return _written(request, sip)


@router.post(
    "/{int:sip_id}/meeting",
    response={200: SipOut, **ProblemResponses},
    summary="Record the meeting held: who came",
)
def sip_meeting(request, sip_id: int, payload: SipMeetingIn):
    """Scope `sip:write`; the initiating organisation's client. Attendance per
    invitation of the latest meeting; an invitation still unanswered is recorded as
    such (a deviation is drafted for an absent or silent organisation)."""

    def record(*, process, by):
        meeting = process.meetings.order_by("-starts_at", "-pk").first()
        if meeting is None:
            raise Problem(409, "step-not-open", "The SIP has no meeting.")
        known = set(meeting.invitations.values_list("pk", flat=True))
        unknown = [a.invitation_id for a in payload.attendance if a.invitation_id not in known]
        if unknown:
            raise Problem(
                422,
                "invalid-input",
                f"No invitation {', '.join(str(i) for i in unknown)} to this meeting.",
                errors=[field_error("attendance", "not an invitation to the meeting", "unknown")],
            )
        return sip_services.sip_meeting_record(
            sip=process,
            meeting=meeting,
            attendance={a.invitation_id: (a.attendance, a.note) for a in payload.attendance},
            notes=payload.notes,
            by=by,
        )

    return _step(request, sip_id, node=SipFlow.meeting, service=record)


@router.post(
    "/{int:sip_id}/plan",
    response={200: SipOut, **ProblemResponses},
    summary="Record and approve the plan (a new version)",
)
def sip_plan(request, sip_id: int, payload: SipPlanIn):
    """Scope `sip:write`; the initiating organisation's client, after the meeting.
    Each intervention names the organisation that provides it; the follow-up deadline
    opens on `follow_up_date`."""

    def save(*, process, by):
        ids = [item.organisation_id for item in payload.interventions]
        organisations = {o.pk: o for o in _organisations(ids, "interventions")}
        return sip_services.sip_plan_save(
            sip=process,
            overall_responsibility=payload.overall_responsibility,
            own_goals=payload.own_goals,
            others_actions=payload.others_actions,
            follow_up_date=payload.follow_up_date,
            interventions=[
                {
                    "description": item.description,
                    "organisation": organisations[item.organisation_id],
                    "start_date": item.start_date,
                    "responsible": item.responsible,
                }
                for item in payload.interventions
            ],
            one_huvudman_reason=payload.one_huvudman_reason,
            by=by,
        )

    return _step(request, sip_id, node=SipFlow.plan, service=save)


@router.post(
    "/{int:sip_id}/plan/{int:number}/approve",
    response={200: SipOut, **ProblemResponses},
    summary="Approve the current plan version for the client's organisation (or the individual)",
)
def sip_plan_approve(request, sip_id: int, number: int, payload: SipPlanApproveIn):
    """Scope `sip:write`. `ORGANISATION`: the client's organisation approves, if the plan
    asks it (the initiating organisation or one with an intervention); `INDIVIDUAL`: the
    individual's approval, recorded by the initiating organisation's client. Each once
    per version; only the current version; not once sharing has stopped."""
    require_scope(request, Scope.SIP_WRITE)
    with transaction.atomic():
        sip = _visible(request, sip_id)
        plan = sip.plan_versions.filter(number=number).first()
        if plan is None:
            raise Http404
        if payload.party == "INDIVIDUAL":
            sip_services.sip_plan_approve(
                sip=sip, plan=plan, by=request.user, by_individual=True, note=payload.note
            )
        else:
            sip_services.sip_plan_approve(
                sip=sip,
                plan=plan,
                by=request.user,
                organisation=request.auth.organisation,
                note=payload.note,
            )
        return _written(request, sip)


@router.post(
    "/{int:sip_id}/follow-up",
    response={200: SipOut, **ProblemResponses},
    summary="Record the follow-up: revise the plan (a new version) or close the SIP",
)
def sip_follow_up(request, sip_id: int, payload: SipFollowUpIn):
    """Scope `sip:write`; the client of the organisation the follow-up is routed to
    (the plan's lead person's organisation, which owns the follow-up deadline), once
    the plan is saved. `REVISE` opens the plan step again; `CLOSE` closes the SIP."""

    def record(*, process, by):
        return sip_services.sip_follow_up_record(
            sip=process, close=payload.decision == "CLOSE", note=payload.note, by=by
        )

    return _step(request, sip_id, node=SipFlow.follow_up, service=record)


def _initiating_client(request, sip, what: str) -> None:
    if request.auth.organisation_id != sip.initiating_organisation_id:
        raise Problem(403, "forbidden", f"Only the initiating organisation {what}.")


@router.post(
    "/{int:sip_id}/consent/revoke",
    response={200: SipOut, **ProblemResponses},
    summary="The individual revoked the consent: sharing stops and the SIP ends",
)
def sip_consent_revoke(request, sip_id: int, payload: SipConsentRevokeIn):
    """Scope `sip:write`; the initiating organisation's client. Every open step and
    deadline is cancelled and nothing more is shared (the plan is no longer given out,
    here or to NPÖ). A SIP without a consent in force is refused (422)."""
    require_scope(request, Scope.SIP_WRITE)
    with transaction.atomic():
        sip = _visible(request, sip_id)
        _initiating_client(request, sip, "records that the consent was revoked")
        sip_services.sip_consent_revoke(sip=sip, by=request.user, note=payload.note.strip())
        return _written(request, sip)


@router.post(
    "/{int:sip_id}/consent/renew",
    response={200: SipOut, **ProblemResponses},
    summary="The individual's own consent at 18, in place of the guardians'",
)
def sip_consent_renew(request, sip_id: int, payload: SipConsentRenewIn):
    """Scope `sip:write`; the initiating organisation's client. A guardians' consent
    for a child lapses on the 18th birthday; from 30 days before it the individual's
    own decision is recorded. `GIVEN`: the SIP goes on; `DECLINED`: it ends and nothing
    more is shared."""
    require_scope(request, Scope.SIP_WRITE)
    with transaction.atomic():
        sip = _visible(request, sip_id)
        _initiating_client(request, sip, "records the individual's own consent")
        sip_services.sip_consent_renew(
            sip=sip,
            decision=payload.decision,
            method=payload.method,
            scope_note=payload.scope_note.strip(),
            by=request.user,
        )
        return _written(request, sip)


@router.post(
    "/{int:sip_id}/withdraw",
    response={200: SipOut, **ProblemResponses},
    summary="Withdraw a SIP registered in error (makulering)",
)
def sip_withdraw(request, sip_id: int, payload: SipWithdrawIn):
    """Scope `sip:write`; the initiating organisation's client. The SIP is kept, marked
    withdrawn; every open step, deadline and invitation is cancelled and every
    participant whose invitation was sent is told (no personal data in the email). A
    second withdrawal changes nothing."""
    require_scope(request, Scope.SIP_WRITE)
    if not payload.reason.strip():
        raise Problem(
            422,
            "invalid-input",
            "Give the reason for the withdrawal.",
            errors=[field_error("reason", "required", "required")],
        )
    with transaction.atomic():
        sip = _visible(request, sip_id)
        _initiating_client(request, sip, "withdraws this SIP")
        sip_services.sip_withdraw(sip=sip, reason=payload.reason, by=request.user)
        return _written(request, sip)
