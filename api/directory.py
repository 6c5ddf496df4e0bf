"""The organisation directory with reachability (the same as the directory page,
open to every client with the scope)."""

from django.http import Http404
from ninja import Router

from coordination.selectors import organisations_search

from .auth import require_scope
from .common import ListQuery, paginate
from .models import Scope
from .schemas import PROBLEM_CODES, OrganisationOut, OrganisationPage, ProblemOut

router = Router(tags=["directory"])


def organisation_out(o) -> dict:
    return {
        "id": o.pk,
        "name": o.name,
        "hsa_id": o.hsa_id,
        "huvudman": o.huvudman,
        "acting_for": o.acting_for,
        "kind": o.kind,
        "area": {"id": o.area.pk, "name": o.area.name, "kind": o.area.kind},
        "parent_id": o.parent_id,
        "reachability": o.reachability,
        "functional_mailbox": o.functional_mailbox,
        "phone": o.phone,
        "opening_hours_note": o.opening_hours_note,
        "is_active": o.is_active,
        "updated_at": o.updated_at,
    }


@router.get(
    "",
    response={200: OrganisationPage, PROBLEM_CODES: ProblemOut},
    summary="The organisation directory with reachability",
)
def organisation_list(
    request, params: ListQuery, q: str = "", kind: str = "", reachability: str = ""
):
    """Scope `directory:read`. `updated_since` filters on the organisation's own
    change time (inactive organisations included then, so a system sees them go)."""
    require_scope(request, Scope.DIRECTORY_READ)
    qs = organisations_search(
        query=q[:200],
        kind=kind,
        reachability=reachability,
        include_inactive=params.updated_since is not None,
    )
    if params.updated_since is not None:
        qs = qs.filter(updated_at__gte=params.updated_since)
    count, items = paginate(qs, params)
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "items": [organisation_out(o) for o in items],
    }


@router.get(
    "/{int:organisation_id}",
    response={200: OrganisationOut, PROBLEM_CODES: ProblemOut},
    summary="One organisation",
)
def organisation_detail(request, organisation_id: int):
    require_scope(request, Scope.DIRECTORY_READ)
    organisation = organisations_search(include_inactive=True).filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    return organisation_out(organisation)
