"""SIPs for systems (read): participants, invitations, meetings and the plan.
Through ``sips_visible_to``; another organisation's SIP is a 404."""

from django.http import Http404
from ninja import Router

from workflows.sip import selectors
from workflows.sip.models import SipEvent

from .auth import require_scope
from .common import ListQuery, individual_out, log_access, paginate
from .models import Scope
from .schemas import PROBLEM_CODES, ProblemOut, SipOut, SipPage

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
            "follow_up_date": latest.follow_up_date,
            "created_at": latest.created_at,
            "interventions": [
                {
                    "description": i.description,
                    "organisation": _org(i.organisation),
                    "start_date": i.start_date,
                }
                for i in latest.interventions.select_related("organisation").order_by("pk")
            ],
        }
    return {
        "id": sip.pk,
        "stage": sip.stage,
        "individual": individual_out(sip.individual),
        "initiating_organisation": _org(sip.initiating_organisation),
        "origin_discharge_id": sip.origin_discharge_id,
        "sharing_stopped": sip.sharing_stopped,
        "participants": [_org(o) for o in sip.participants.order_by("name", "pk")],
        "meetings": meetings,
        "plan": plan,
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
