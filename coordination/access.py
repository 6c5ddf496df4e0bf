"""The one access rule: who may read which case, deviation, outbox row and access-log row.

A **party** of a process is an organisation that was sent something in it
(``ProcessParty``: the ward, the units of the admission notice, the SIP's initiator,
participants and invited units, the parties of a deviation). A user **acts for** the
organisations where they hold an active membership and that are themselves active. A
user sees a process when

- an organisation they act for is a party, or
- they oversee a party: the MAS of a kommun oversees every organisation whose
  *effective huvudman* is that kommun (``KOMMUN``, or a private provider acting for
  the kommun) and whose area lies in the kommun (its stadsdelsområden included); a MAS
  or chefläkare of the region oversees the organisations on the region's side in the
  same way. Geography alone is never enough: a region ward in a kommun's district is
  not the kommun's.

Nobody else sees anything, staff and superusers included. Every page, list, export,
dashboard, viewflow page and API reads through the functions here; a URL × role matrix
test (``tests/security/test_url_matrix.py``) proves it.

Example: ``processes_visible_to(user=request.user, model=DischargeProcess)`` is the
queryset every discharge page starts from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Process

from .models import (
    AccessLog,
    Area,
    Huvudman,
    Membership,
    Organisation,
    ProcessParty,
)

#: Organisations on the kommun's side of the secrecy line.
KOMMUN_SIDE = Q(huvudman=Huvudman.KOMMUN) | Q(huvudman=Huvudman.PRIVATE, acting_for=Huvudman.KOMMUN)
#: Organisations on the region's side.
REGION_SIDE = Q(huvudman=Huvudman.REGION) | Q(huvudman=Huvudman.PRIVATE, acting_for=Huvudman.REGION)
#: Roles that oversee every party of their huvudman, not only their own unit's cases.
OVERSEER_ROLES = (Membership.Role.MAS, Membership.Role.CHEFLAKARE)


def _is_signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


# --- Whom a user acts for and oversees ------------------------------------------------


def acting_organisations(*, user) -> QuerySet[Organisation]:
    """The organisations a user acts for: active membership in an active organisation."""
    if not _is_signed_in(user):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(user=user, is_active=True).values("organisation_id"),
    )


@dataclass(frozen=True)
class AreaTree:
    """Each area's kommun and region, from the ``Area.parent`` chain.

    An area's kommun is itself or its nearest KOMMUN ancestor; its region is its
    nearest REGION ancestor. Where the tree has no region above the kommuner (one
    region per installation, as in the Stockholm registry) every area belongs to the
    installation's only REGION area.
    """

    kommun_of: dict[int, int | None] = field(default_factory=dict)
    region_of: dict[int, int | None] = field(default_factory=dict)

    @classmethod
    def load(cls) -> AreaTree:
        rows = {
            pk: (kind, parent)
            for pk, kind, parent in Area.objects.values_list("pk", "kind", "parent_id")
        }
        regions = [pk for pk, (kind, _parent) in rows.items() if kind == Area.Kind.REGION]
        only_region = regions[0] if len(regions) == 1 else None
        tree = cls()
        for pk in rows:
            kommun = region = None
            current, seen = pk, set()
            while current is not None and current not in seen:
                seen.add(current)
                kind, parent = rows[current]
                if kind == Area.Kind.KOMMUN and kommun is None:
                    kommun = current
                if kind == Area.Kind.REGION:
                    region = current
                    break
                current = parent
            tree.kommun_of[pk] = kommun
            tree.region_of[pk] = region if region is not None else only_region
        return tree

    def areas_of_kommuner(self, kommun_ids) -> list[int]:
        return [pk for pk, kommun in self.kommun_of.items() if kommun in kommun_ids]

    def areas_of_regions(self, region_ids) -> list[int]:
        return [pk for pk, region in self.region_of.items() if region in region_ids]


@dataclass(frozen=True)
class Oversight:
    """The kommuner and regions (Area ids) a user oversees as MAS or chefläkare."""

    kommun_ids: frozenset = frozenset()
    region_ids: frozenset = frozenset()

    def __bool__(self) -> bool:
        return bool(self.kommun_ids or self.region_ids)


def oversight_of(*, user) -> Oversight:
    """What a MAS or chefläkare oversees: the huvudman of the organisation of each of
    their active overseer memberships (the organisation active too)."""
    if not _is_signed_in(user):
        return Oversight()
    memberships = Membership.objects.filter(
        user=user, is_active=True, organisation__is_active=True, role__in=OVERSEER_ROLES
    ).select_related("organisation")
    memberships = list(memberships)
    if not memberships:
        return Oversight()
    tree = AreaTree.load()
    kommuner, regions = set(), set()
    for membership in memberships:
        organisation = membership.organisation
        if organisation.effective_huvudman == Huvudman.KOMMUN:
            kommun = tree.kommun_of.get(organisation.area_id)
            if kommun is not None:
                kommuner.add(kommun)
        else:
            region = tree.region_of.get(organisation.area_id)
            if region is not None:
                regions.add(region)
    return Oversight(kommun_ids=frozenset(kommuner), region_ids=frozenset(regions))


def overseen_organisations(*, user, oversight: Oversight | None = None) -> QuerySet[Organisation]:
    """Every organisation (active or not: past cases stay overseen) whose effective
    huvudman is a kommun or region the user oversees."""
    oversight = oversight_of(user=user) if oversight is None else oversight
    if not oversight:
        return Organisation.objects.none()
    tree = AreaTree.load()
    condition = Q(pk__in=[])
    if oversight.kommun_ids:
        condition |= Q(area_id__in=tree.areas_of_kommuner(oversight.kommun_ids)) & KOMMUN_SIDE
    if oversight.region_ids:
        condition |= Q(area_id__in=tree.areas_of_regions(oversight.region_ids)) & REGION_SIDE
    return Organisation.objects.filter(condition)


def reader_organisation_ids(*, user) -> list[int]:
    """The ids of the organisations through which a user reads: those they act for and
    those they oversee. Read once, so that every rule below is one flat query."""
    if not _is_signed_in(user):
        return []
    acting = set(acting_organisations(user=user).values_list("pk", flat=True))
    overseen = set(overseen_organisations(user=user).values_list("pk", flat=True))
    return sorted(acting | overseen)


# --- Processes ------------------------------------------------------------------------


def processes_visible_to(*, user, model=Process) -> QuerySet:
    """The processes (of ``model``: viewflow's ``Process`` or a flow's subclass) the user
    may read: those with a party among the user's reader organisations."""
    org_ids = reader_organisation_ids(user=user)
    if not org_ids:
        return model._default_manager.none()
    parties = ProcessParty.objects.filter(organisation_id__in=org_ids).values("process_id")
    return model._default_manager.filter(pk__in=parties)


def process_is_visible(*, user, process_id) -> bool:
    return processes_visible_to(user=user).filter(pk=process_id).exists()


def organisation_is_party(*, organisation_id, process_id) -> bool:
    """For reads without a user (the signed one-click link of an invitation): the
    token's organisation must still be a party of the case."""
    return ProcessParty.objects.filter(
        organisation_id=organisation_id, process_id=process_id
    ).exists()


def user_parties_of(*, user, process) -> list[Organisation]:
    """The organisations the user acts for that are parties of the process (for the
    access log's "acting for" and for what the user may do in it)."""
    if process is None or not _is_signed_in(user):
        return []
    return list(
        acting_organisations(user=user)
        .filter(process_parties__process_id=process.pk)
        .distinct()
        .order_by("name", "pk")
    )


def may_withdraw(*, user, process_id, registering_organisation_id) -> bool:
    """Makulering of a process registered in error: an active member of the organisation
    that registered it, or an administrator who may read the process (issue #12)."""
    if not _is_signed_in(user):
        return False
    if acting_organisations(user=user).filter(pk=registering_organisation_id).exists():
        return True
    return is_administrator(user=user) and process_is_visible(user=user, process_id=process_id)


# --- Registering individuals -----------------------------------------------------------

#: Roles that start discharges and SIPs, and so may look up and register the person.
REGISTERING_ROLES = (
    Membership.Role.HANDLAGGARE,
    Membership.Role.SJUKSKOTERSKA,
    Membership.Role.LAKARE,
    Membership.Role.FAST_VARDKONTAKT,
    Membership.Role.KSA,
)


def may_register_individuals(*, user) -> bool:
    """Who may look a person up by personnummer and register them: an active member of
    an active organisation in a role that starts cases (a handläggare, ward or
    vårdcentral staff). The MAS, administrators and API clients do not."""
    if not _is_signed_in(user):
        return False
    return Membership.objects.filter(
        user=user, is_active=True, organisation__is_active=True, role__in=REGISTERING_ROLES
    ).exists()


# --- Reports between organisations, access log ---------------------------------------


def reports_visible_to(*, user, queryset: QuerySet, sent: Q) -> QuerySet:
    """A report from one organisation to another (a deviation): the reporting side (who
    acts for or oversees ``reporting_organisation``) sees every state; the receiving
    side sees it once ``sent`` holds. ``workflows.deviations.selectors`` passes the
    deviations and what "sent" means for them."""
    if not _is_signed_in(user):
        return queryset.none()
    readers = reader_organisation_ids(user=user)
    if not readers:
        return queryset.none()
    reporter = Q(reporting_organisation_id__in=readers)
    receiver = Q(receiving_organisation_id__in=readers) & sent
    return queryset.filter(reporter | receiver)


def is_administrator(*, user) -> bool:
    """Registry administrators: staff or an active ADMIN membership. They manage the
    registry and review the whole access log; they read no case through that role."""
    if not _is_signed_in(user):
        return False
    return (
        user.is_staff
        or Membership.objects.filter(
            user=user, role=Membership.Role.ADMIN, is_active=True, organisation__is_active=True
        ).exists()
    )


def access_log_visible_to(*, user) -> QuerySet[AccessLog]:
    """Access-log rows a reviewer may read: administrators all; a MAS or chefläkare the
    reads by users acting for an organisation they oversee and the reads of cases they
    may see. Nobody else."""
    if is_administrator(user=user):
        return AccessLog.objects.all()
    oversight = oversight_of(user=user)
    if not oversight:
        return AccessLog.objects.none()
    overseen = list(
        overseen_organisations(user=user, oversight=oversight).values_list("pk", flat=True)
    )
    cases = ProcessParty.objects.filter(
        organisation_id__in=reader_organisation_ids(user=user)
    ).values("process_id")
    return AccessLog.objects.filter(Q(organisation_id__in=overseen) | Q(process_id__in=cases))
