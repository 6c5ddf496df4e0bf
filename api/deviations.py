"""Deviations (samverkansavvikelser) for systems: list, read, report, answer.
Through ``deviations_visible_to``; the services decide who may do what."""

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from ninja import Router, Status

from coordination.models import Organisation
from workflows.deviations import selectors, services
from workflows.deviations.models import Deviation, DeviationEvent

from .auth import require_scope
from .common import ListQuery, paginate
from .models import Scope
from .problems import Problem, field_error
from .schemas import (
    PROBLEM_CODES,
    DeviationAnswerIn,
    DeviationOut,
    DeviationPage,
    DeviationReportIn,
    ProblemOut,
)

router = Router(tags=["deviation"])


def _org(organisation):
    return {"id": organisation.pk, "name": organisation.name}


def deviation_out(d: Deviation) -> dict:
    return {
        "id": d.pk,
        "status": d.status,
        "category": d.category,
        "process_id": d.process_id,
        "process_step": d.process_step,
        "reporting_organisation": _org(d.reporting_organisation),
        "receiving_organisation": _org(d.receiving_organisation),
        "description": d.description,
        "harm": d.harm,
        "level": d.level,
        "source": d.source,
        "occurred_at": d.occurred_at,
        "reported_at": d.reported_at,
        "answer_due_date": d.answer_due_date,
        "answered_at": d.answered_at,
        "answer_explanation": d.answer_explanation,
        "answer_measures": d.answer_measures,
    }


def _visible(request, pk) -> Deviation:
    deviation = (
        selectors.deviations_visible_to(user=request.user)
        .select_related("reporting_organisation", "receiving_organisation")
        .filter(pk=pk)
        .first()
    )
    if deviation is None:
        raise Http404
    return deviation


@router.get(
    "", response={200: DeviationPage, PROBLEM_CODES: ProblemOut}, summary="Deviations of the client"
)
def deviation_list(request, params: ListQuery, status: str = ""):
    """Scope `deviation:read`: those the client's organisation reported, and those it
    received once sent. `updated_since`: with an event at or after that time."""
    require_scope(request, Scope.DEVIATION_READ)
    qs = selectors.deviations_visible_to(user=request.user).select_related(
        "reporting_organisation", "receiving_organisation"
    )
    if status:
        qs = qs.filter(status=status)
    if params.updated_since is not None:
        qs = qs.filter(
            pk__in=DeviationEvent.objects.filter(at__gte=params.updated_since).values(
                "deviation_id"
            )
        )
    count, items = paginate(qs.order_by("-pk"), params)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "items": [deviation_out(d) for d in items],
    }


@router.get(
    "/{int:deviation_id}",
    response={200: DeviationOut, PROBLEM_CODES: ProblemOut},
    summary="A deviation",
)
def deviation_detail(request, deviation_id: int):
    """Scope `deviation:read`. Another organisation's deviation is 404."""
    require_scope(request, Scope.DEVIATION_READ)
    return deviation_out(_visible(request, deviation_id))


@router.post(
    "",
    response={201: DeviationOut, PROBLEM_CODES: ProblemOut},
    summary="Report a deviation to another party of a case",
)
def deviation_report(request, payload: DeviationReportIn):
    """Scope `deviation:write`. Reported by the client's organisation, which must take
    part in the case; sent at once to the receiving organisation."""
    client = require_scope(request, Scope.DEVIATION_WRITE)
    with transaction.atomic():
        process, mine = selectors.process_for_user(user=request.user, process_id=payload.process_id)
        if process is None:
            raise Problem(
                404,
                "not-found",
                "No such case for this client.",
                errors=[field_error("process_id", "no such case", "not_found")],
            )
        receiver = Organisation.objects.filter(pk=payload.receiving_organisation_id).first()
        if receiver is None:
            raise Problem(
                422,
                "invalid-input",
                "No such organisation.",
                errors=[field_error("receiving_organisation_id", "no such organisation")],
            )
        deviation = services.deviation_create(
            by=request.user,
            process=process,
            reporting_organisation=client.organisation,
            receiving_organisation=receiver,
            category=payload.category,
            description=payload.description,
            harm=payload.harm,
            process_step=payload.process_step,
            occurred_at=payload.occurred_at or timezone.now(),
            report_now=True,
        )
    return Status(201, deviation_out(_visible(request, deviation.pk)))


@router.post(
    "/{int:deviation_id}/answer",
    response={200: DeviationOut, PROBLEM_CODES: ProblemOut},
    summary="Answer a deviation the client's organisation received",
)
def deviation_answer(request, deviation_id: int, payload: DeviationAnswerIn):
    """Scope `deviation:write`. The receiving organisation's explanation and measures."""
    require_scope(request, Scope.DEVIATION_WRITE)
    with transaction.atomic():
        deviation = _visible(request, deviation_id)
        services.deviation_answer(
            deviation=deviation,
            by=request.user,
            explanation=payload.explanation,
            measures=payload.measures,
        )
    return deviation_out(_visible(request, deviation_id))
