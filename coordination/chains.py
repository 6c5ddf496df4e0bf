"""Escalation chains: who is told, rung by rung, when a duty an organisation owns lapses.

Every organisation has a chain of three rungs (README, Escalation):

1. **the unit itself**: the person responsible, else its staff and functional mailbox
   (not its coordinators or overseers, who come later);
2. **its coordinator**: on the kommun side the stadsdelsområde's KSA, else the kommun's
   (Stockholm's routine: the KSA escalates within the kommun); on the region side the
   unit's own manager (a member in the CHEF role), else for a vårdcentral the area's
   GSA when that is another vårdcentral, else the unit it is part of (the clinic or
   hospital, where its verksamhetschef is);
3. **its overseer**: the MAS of its kommun (HSL 11 kap. 4 §: the MAS answers for patient
   safety in the kommun's care), or the chefläkare and MAS of its region.

An administrator may set rungs 2 and 3 per organisation (``EscalationChain``); an edit
that leaves the organisation without a MAS or chefläkare, or that escalates to the unit
itself, is refused. The chain is the duty owner's only: a rung never goes to another
party of the case, nor to a unit that was never notified.

``ChainResolver`` reads the registry with caches that live for one sweep, so the sweep
resolves the chains of a whole batch in a few queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .access import OVERSEER_ROLES, AreaTree
from .models import Area, EscalationChain, Huvudman, Membership, Organisation

#: Roles that receive rung 2 in a coordinator organisation (and so are not reminded at
#: rung 1 in their own unit when anyone else there is).
COORDINATOR_ROLES = (Membership.Role.KSA, Membership.Role.CHEF)
#: Roles that never get a unit's reminders: they come at a later rung, or do not work
#: cases at all.
NOT_REMINDED_ROLES = (
    *COORDINATOR_ROLES,
    *OVERSEER_ROLES,
    Membership.Role.ADMIN,
    Membership.Role.SYSTEM,
)


@dataclass(frozen=True)
class Person:
    email: str
    organisation_id: int
    name: str
    role: str


@dataclass(frozen=True)
class Chain:
    """One organisation's effective chain."""

    organisation: Organisation
    coordinator: Organisation | None
    coordinator_set: bool  # set by an administrator, not derived from the registry
    overseers: tuple[Person, ...]
    overseer_set: bool
    #: Where the default overseers come from: the kommun or the region (an Area).
    overseer_area: Area | None

    @property
    def side(self) -> str:
        return self.organisation.effective_huvudman


class ChainResolver:
    """Resolves chains and the people at each rung, with per-instance caches."""

    def __init__(self):
        self._tree: AreaTree | None = None
        self._areas: dict[int, Area] | None = None
        self._explicit: dict[int, EscalationChain] | None = None
        self._organisations: dict[int, Organisation] = {}
        self._members: dict[int, list[Person]] = {}
        self._overseers: dict[tuple, tuple[Person, ...]] = {}

    # -- registry reads

    @property
    def tree(self) -> AreaTree:
        if self._tree is None:
            self._tree = AreaTree.load()
        return self._tree

    def area(self, pk) -> Area | None:
        if self._areas is None:
            self._areas = Area.objects.in_bulk()
        return self._areas.get(pk)

    def explicit(self, organisation_id) -> EscalationChain | None:
        if self._explicit is None:
            self._explicit = {
                row.organisation_id: row
                for row in EscalationChain.objects.select_related("coordinator", "overseer")
            }
        return self._explicit.get(organisation_id)

    def organisation(self, pk) -> Organisation:
        if pk not in self._organisations:
            self.prefetch(organisation_ids=[pk])
        return self._organisations[pk]

    def prefetch(self, *, organisation_ids=()) -> None:
        """Load many organisations and their active staff in two queries."""
        missing = {pk for pk in organisation_ids if pk not in self._organisations}
        if missing:
            for organisation in Organisation.objects.select_related(
                "area", "area__parent", "parent"
            ).filter(pk__in=missing):
                self._organisations[organisation.pk] = organisation
        missing = {pk for pk in organisation_ids if pk not in self._members}
        if missing:
            for pk in missing:
                self._members[pk] = []
            rows = (
                Membership.objects.filter(
                    organisation_id__in=missing, is_active=True, user__is_active=True
                )
                .exclude(user__email="")
                .order_by("user__email")
                .values_list(
                    "organisation_id", "user__email", "user__first_name", "user__last_name", "role"
                )
            )
            for organisation_id, email, first, last, role in rows:
                name = f"{first} {last}".strip() or email
                self._members[organisation_id].append(Person(email, organisation_id, name, role))

    def members(self, organisation_id) -> list[Person]:
        if organisation_id not in self._members:
            self.prefetch(organisation_ids=[organisation_id])
        return self._members[organisation_id]

    # -- the chain

    def default_coordinator(self, organisation: Organisation) -> Organisation | None:
        area = organisation.area
        if organisation.effective_huvudman == Huvudman.KOMMUN:
            if area.kind == Area.Kind.STADSDELSOMRADE and area.ksa_id:
                return self.organisation(area.ksa_id)
            kommun = area.kommun
            return self.organisation(kommun.ksa_id) if kommun and kommun.ksa_id else None
        if any(person.role in COORDINATOR_ROLES for person in self.members(organisation.pk)):
            return organisation  # its own manager (enhetschef, verksamhetschef)
        if organisation.kind == Organisation.Kind.VARDCENTRAL:
            for candidate in (area, area.parent):
                if candidate is not None and candidate.gsa_id not in (None, organisation.pk):
                    return self.organisation(candidate.gsa_id)
        if organisation.parent_id:
            return self.organisation(organisation.parent_id)
        return None

    def default_overseers(self, organisation: Organisation) -> tuple[tuple, Area | None]:
        """The MAS of the organisation's kommun, or the chefläkare and MAS of its region."""
        if organisation.effective_huvudman == Huvudman.KOMMUN:
            area_id = self.tree.kommun_of.get(organisation.area_id)
            key = ("KOMMUN", area_id)
        else:
            area_id = self.tree.region_of.get(organisation.area_id)
            key = ("REGION", area_id)
        if key not in self._overseers:
            self._overseers[key] = self._load_overseers(key)
        return self._overseers[key], self.area(area_id)

    def _load_overseers(self, key) -> tuple[Person, ...]:
        side, area_id = key
        if area_id is None:
            return ()
        if side == "KOMMUN":
            areas = self.tree.areas_of_kommuner({area_id})
            roles = [Membership.Role.MAS]
        else:
            areas = self.tree.areas_of_regions({area_id})
            roles = list(OVERSEER_ROLES)
        rows = (
            Membership.objects.filter(
                role__in=roles,
                is_active=True,
                user__is_active=True,
                organisation__is_active=True,
                organisation__area_id__in=areas,
            )
            .exclude(user__email="")
            .select_related("user", "organisation")
            .order_by("user__email")
        )
        return tuple(
            _person(membership)
            for membership in rows
            if membership.organisation.effective_huvudman == side
        )

    def overseers_at(self, organisation_id) -> tuple[Person, ...]:
        key = ("AT", organisation_id)
        if key not in self._overseers:
            rows = (
                Membership.objects.filter(
                    organisation_id=organisation_id,
                    role__in=OVERSEER_ROLES,
                    is_active=True,
                    user__is_active=True,
                )
                .exclude(user__email="")
                .select_related("user")
                .order_by("user__email")
            )
            self._overseers[key] = tuple(_person(membership) for membership in rows)
        return self._overseers[key]

    def chain(self, organisation: Organisation) -> Chain:
        explicit = self.explicit(organisation.pk)
        coordinator = explicit.coordinator if explicit and explicit.coordinator_id else None
        overseer_org = explicit.overseer if explicit and explicit.overseer_id else None
        if overseer_org is not None:
            overseers, overseer_area = self.overseers_at(overseer_org.pk), None
        else:
            overseers, overseer_area = self.default_overseers(organisation)
        return Chain(
            organisation=organisation,
            coordinator=coordinator or self.default_coordinator(organisation),
            coordinator_set=coordinator is not None,
            overseers=overseers,
            overseer_set=overseer_org is not None,
            overseer_area=overseer_area,
        )

    # -- the people of each rung

    def unit_people(self, organisation: Organisation) -> list[tuple[str, int]]:
        """Rung 1: the unit's staff (not its coordinators and overseers, when anyone
        else is there) and its functional mailbox, as (email, organisation id)."""
        members = self.members(organisation.pk)
        working = [person for person in members if person.role not in NOT_REMINDED_ROLES]
        people = working or members
        emails = [person.email for person in people]
        if organisation.functional_mailbox:
            emails.append(organisation.functional_mailbox)
        return [(email, organisation.pk) for email in _unique(emails)]

    def coordinator_people(self, chain: Chain) -> list[tuple[str, int]]:
        """Rung 2: the coordinator organisation's KSA or manager if anyone holds the
        role, else its staff; and its mailbox unless it is the unit itself."""
        coordinator = chain.coordinator
        if coordinator is None:
            return []
        members = self.members(coordinator.pk)
        chosen = [person for person in members if person.role in COORDINATOR_ROLES]
        if not chosen:
            chosen = [person for person in members if person.role not in NOT_REMINDED_ROLES]
        emails = [person.email for person in chosen]
        if coordinator.functional_mailbox and coordinator.pk != chain.organisation.pk:
            emails.append(coordinator.functional_mailbox)
        return [(email, coordinator.pk) for email in _unique(emails)]


def _person(membership: Membership) -> Person:
    user = membership.user
    return Person(
        user.email,
        membership.organisation_id,
        user.get_full_name() or user.email,
        membership.role,
    )


def _unique(emails) -> list[str]:
    seen, result = set(), []
    for email in emails:
        if email.lower() not in seen:
            seen.add(email.lower())
            result.append(email)
    return result


# --- Editing a chain ---------------------------------------------------------------------


def escalation_chain_check(*, organisation, coordinator, overseer) -> None:
    """The rules of a chain edit; raises ``ValidationError`` naming the field."""
    errors = {}
    if coordinator is not None:
        own_managers = [
            person
            for person in ChainResolver().members(organisation.pk)
            if person.role in COORDINATOR_ROLES
        ]
        if coordinator.pk == organisation.pk and not own_managers:
            errors["coordinator"] = _(
                "The chain must lead to someone other than the unit's staff: the unit "
                "has no manager (CHEF) or KSA. Choose its coordinator or manager, or "
                "leave it empty for the default."
            )
        elif not coordinator.is_active:
            errors["coordinator"] = _("%(name)s is not active.") % {"name": coordinator.name}
    if overseer is not None and not overseer.is_active:
        errors["overseer"] = _("%(name)s is not active.") % {"name": overseer.name}
    if "overseer" not in errors:
        resolver = ChainResolver()
        if overseer is not None:
            overseers = resolver.overseers_at(overseer.pk)
        else:
            overseers, _area = resolver.default_overseers(organisation)
        if not overseers:
            errors["overseer"] = _(
                "The chain would end with no MAS or chefläkare: a breach of %(name)s's "
                "deadlines would reach nobody. Choose an organisation with an active MAS "
                "or chefläkare."
            ) % {"name": organisation.name}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def escalation_chain_save(*, organisation, coordinator, overseer, by) -> EscalationChain | None:
    """Set an organisation's chain (both empty: back to the registry's default)."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    escalation_chain_check(organisation=organisation, coordinator=coordinator, overseer=overseer)
    if coordinator is None and overseer is None:
        EscalationChain.objects.filter(organisation=organisation).delete()
        return None
    chain, _created = EscalationChain.objects.update_or_create(
        organisation=organisation,
        defaults={"coordinator": coordinator, "overseer": overseer, "updated_by": by},
    )
    return chain
