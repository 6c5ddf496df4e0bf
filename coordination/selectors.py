"""Reads of the registry."""

from django.db.models import Q, QuerySet

from . import access
from .models import Area, Membership, Organisation


def organisations_search(
    *,
    query: str = "",
    area: Area | None = None,
    kind: str = "",
    reachability: str = "",
    huvudman: str = "",
    include_inactive: bool = False,
) -> QuerySet[Organisation]:
    """The directory: free text over name, HSA id and area; filters are exact.

    Filtering by a kommun includes the organisations of its stadsdelsområden.
    """
    qs = Organisation.objects.select_related("area", "parent")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    for word in query.split():
        qs = qs.filter(
            Q(name__icontains=word) | Q(hsa_id__icontains=word) | Q(area__name__icontains=word)
        )
    if area is not None:
        qs = qs.filter(Q(area=area) | Q(area__parent=area))
    if kind:
        qs = qs.filter(kind=kind)
    if reachability:
        qs = qs.filter(reachability=reachability)
    if huvudman:
        qs = qs.filter(huvudman=huvudman)
    return qs.order_by("name", "pk")


def organisation_contacts(*, organisation: Organisation) -> QuerySet[Membership]:
    """Active staff of a unit, for its page (names and roles only)."""
    return (
        Membership.objects.filter(organisation=organisation, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__last_name")
    )


def user_organisations(*, user) -> QuerySet[Organisation]:
    """The organisations a user acts for (active membership, active organisation)."""
    return access.acting_organisations(user=user)


def kommun_organisations(*, kommun: Area) -> QuerySet[Organisation]:
    """Every organisation in a kommun, its stadsdelsområden included."""
    return Organisation.objects.filter(Q(area=kommun) | Q(area__parent=kommun))


def mas_kommuner(*, user) -> list[Area]:
    """The kommuner the user oversees as MAS (``coordination.access.oversight_of``)."""
    kommun_ids = access.oversight_of(user=user).kommun_ids
    return list(Area.objects.filter(pk__in=kommun_ids).order_by("name", "pk"))


def is_registry_admin(*, user) -> bool:
    return access.is_administrator(user=user)


def access_log_visible_to(*, user):
    """The access-log rows a reviewer may read (``coordination.access``)."""
    return access.access_log_visible_to(user=user)
