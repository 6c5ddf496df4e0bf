"""The deadline-kind registry and the escalation ladders.

A ladder is a list of rungs, each an offset from ``due_at`` and an action:

1. ``REMIND`` the responsible person/organisation before the due time,
2. ``REMIND`` at the due time,
3. ``ESCALATE`` to the area's KSA (kommun side) or GSA (region side),
4. ``BREACH``: the MAS of the kommun concerned is notified and a deviation drafted.

The sweep (``workflows.tasks.sweep_deadlines``) takes the rungs in order; a met or
cancelled deadline stops the ladder at once.

Office hours: a reminder or an escalation that falls outside office hours
(``KARDBORRE_OFFICE_HOURS``, 08:00–17:00 Stockholm on office days) is held until the
next opening (``deadlines.held_to_office_hours``), unless the kind runs in calendar
hours by law (``calendar_hours_by_law``). A breach is never held. ``rung_at`` is the
time a rung is acted on; the ``next_action_at`` stored on a deadline is already held,
so the sweep stays one indexed range scan.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from viewflow.workflow.models import Process

from coordination.models import Membership, Organisation

from . import deadlines, hooks

logger = logging.getLogger(__name__)

REMIND = "REMIND"
ESCALATE = "ESCALATE"
BREACH = "BREACH"


#: Who owns each action of a ladder (the recipients are found by ``Recipients``).
OWNERS = {
    REMIND: "RESPONSIBLE",  # the unit (or person) that owns the duty
    ESCALATE: "COORDINATOR",  # the area's KSA (kommun side) or GSA (region side)
    BREACH: "MAS",  # the MAS of the kommun concerned, with a drafted deviation
}


@dataclass(frozen=True)
class Rung:
    offset: dt.timedelta  # from due_at; negative is before the due time
    action: str

    @property
    def owner(self) -> str:
        """The role that receives this rung (``OWNERS``)."""
        return OWNERS[self.action]


@dataclass(frozen=True)
class DeadlineKind:
    """One kind of deadline, declared once by the flow that owns it.

    ``source`` names the paragraph of the law or the section of the regional
    agreement/routine the deadline comes from; ``deviation`` is the (category, step)
    of the deviation drafted when it is breached (``workflows.deviations``)."""

    code: str
    label: str
    ladder: tuple[Rung, ...]
    source: str = ""
    deviation: tuple[str, str] | None = None
    #: The law counts the deadline in elapsed hours around the clock (LUS 4 kap. 1 §,
    #: the 24-hour inskrivningsmeddelande): its reminders are not held to office hours.
    calendar_hours_by_law: bool = False
    #: A local rule that neither LUS nor the regional agreement sets: the deadline is
    #: opened only when its code is in ``KARDBORRE_LOCAL_DEADLINES`` (off by default).
    local: bool = False


def standard_ladder(
    before: dt.timedelta, escalate_after: dt.timedelta, breach_after: dt.timedelta
) -> tuple[Rung, ...]:
    """Remind before and at the due time, escalate, then breach."""
    return (
        Rung(-before, REMIND),
        Rung(dt.timedelta(0), REMIND),
        Rung(escalate_after, ESCALATE),
        Rung(breach_after, BREACH),
    )


H = dt.timedelta(hours=1)

#: The registry: every kind, declared by its flow (``workflows/discharge/kinds.py``,
#: ``workflows/sip/kinds.py``) through ``register`` when the app is ready. Labels,
#: email subjects, the dashboard, the deviation drafted at a breach and the sweep all
#: read it from here; ``workflows.checks`` verifies each ladder is complete.
KINDS: dict[str, DeadlineKind] = {}


def register(*kinds: DeadlineKind) -> None:
    for kind in kinds:
        known = KINDS.get(kind.code)
        if known is not None and known != kind:
            raise ValueError(f"deadline kind {kind.code} is declared twice")
        KINDS[kind.code] = kind


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def is_enabled(code: str) -> bool:
    """Whether deadlines of this kind are opened: always for a kind set by the law or
    the agreement, for a ``local`` one only when ``KARDBORRE_LOCAL_DEADLINES`` names it."""
    if not KINDS[code].local:
        return True
    return code in (getattr(settings, "KARDBORRE_LOCAL_DEADLINES", None) or ())


def local_kinds() -> list[DeadlineKind]:
    """The local kinds, those a deployer switches on (README, Deadlines)."""
    return [kind for kind in KINDS.values() if kind.local]


def ladder(code: str) -> tuple[Rung, ...]:
    return KINDS[code].ladder


DEFAULT_OFFICE_HOURS = (dt.time(8), dt.time(17))


def office_hours() -> tuple[dt.time, dt.time] | None:
    """(opens, closes), local Stockholm time, from ``KARDBORRE_OFFICE_HOURS``; None
    when nothing is held."""
    return getattr(settings, "KARDBORRE_OFFICE_HOURS", DEFAULT_OFFICE_HOURS)


def is_held(code: str, action: str) -> bool:
    """Whether a rung of this action waits for office hours (reminders and
    escalations, unless the law counts the kind in calendar hours; never a breach)."""
    return action != BREACH and not KINDS[code].calendar_hours_by_law


def rung_at(code: str, *, due_at: dt.datetime, level: int) -> dt.datetime:
    """When rung ``level`` is acted on: its time on the ladder, held to office hours
    when ``is_held``."""
    rung = ladder(code)[level]
    at = due_at + rung.offset
    hours = office_hours()
    if hours is None or not is_held(code, rung.action):
        return at
    opens, closes = hours
    return deadlines.held_to_office_hours(at, opens=opens, closes=closes)


def outside_office_hours(at: dt.datetime) -> bool:
    """Whether ``at`` is outside office hours (never, with office hours off)."""
    hours = office_hours()
    if hours is None:
        return False
    opens, closes = hours
    return deadlines.held_to_office_hours(at, opens=opens, closes=closes) != at


def next_action_at(code: str, *, due_at: dt.datetime, level: int, now: dt.datetime):
    """When the sweep next acts on the deadline from rung ``level`` (0-based), or None
    past the last rung: the earliest ``rung_at`` of the rungs left. That is rung
    ``level`` itself unless it is held past a later rung that is not (a breach in the
    night after a reminder held to the morning).
    """
    rungs = ladder(code)
    if level >= len(rungs):
        return None
    return min(rung_at(code, due_at=due_at, level=i) for i in range(level, len(rungs)))


def first_level(code: str, *, due_at: dt.datetime, now: dt.datetime) -> int:
    """The rung a new deadline starts at: reminders whose time has passed are skipped."""
    rungs = ladder(code)
    for level, rung in enumerate(rungs):
        if rung_at(code, due_at=due_at, level=level) > now or rung.action != REMIND:
            return level
    return len(rungs) - 1


# --- Who receives each rung ------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    email: str
    organisation_id: int | None  # on whose behalf the message is received
    ack_url: str = ""  # a one-click acknowledgement link, for invitation recipients


class Recipients:
    """Finds the recipients of each rung, with caches that live for one sweep.

    * REMIND: the responsible person if set, else the responsible organisation's active
      members and its functional mailbox (and, for an invitation, the invitee).
    * ESCALATE: the area's KSA (kommun side: the stadsdelsområde's own KSA, else the
      kommun's) or GSA (region side: the unit's area, else the areas of the case's
      kommun-side organisations).
    * BREACH: the MAS of the kommun concerned (the responsible unit's kommun on the
      kommun side, else the kommuns of the case's kommun-side organisations).

    Works from ids (``responsible_organisation_id``, ``responsible_user_id``,
    ``process_id``, ``kind``, ``subject_key``), so it takes a ``Deadline`` or any row
    with those attributes; the sweep passes plain rows to stay fast.
    """

    def __init__(self):
        self._members: dict[int, list[tuple[str, str]]] = {}
        self._organisations: dict[int, object] = {}
        self._users: dict[int, tuple[str, bool]] = {}
        self._participants: dict[int, list] = {}
        self._mas: dict[int, list[Recipient]] = {}

    # -- caches

    def prefetch(self, *, organisation_ids=(), user_ids=()) -> None:
        """Load many organisations, their active members and users in a few queries."""
        missing = {pk for pk in organisation_ids if pk not in self._organisations}
        if missing:
            for organisation in Organisation.objects.select_related("area", "area__parent").filter(
                pk__in=missing
            ):
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
                .values_list("organisation_id", "user__email", "role")
            )
            for organisation_id, email, role in rows:
                self._members[organisation_id].append((email, role))
        missing = {pk for pk in user_ids if pk is not None and pk not in self._users}
        if missing:
            users = get_user_model().objects.filter(pk__in=missing)
            for pk, email, is_active in users.values_list("pk", "email", "is_active"):
                self._users[pk] = (email, is_active)

    def organisation(self, pk):
        if pk not in self._organisations:
            self.prefetch(organisation_ids=[pk])
        return self._organisations[pk]

    def _unit(self, organisation, *, prefer_role: str = "") -> list[Recipient]:
        """An organisation's people (preferring one role if anyone holds it) and mailbox."""
        if organisation.pk not in self._members:
            self.prefetch(organisation_ids=[organisation.pk])
        members = self._members[organisation.pk]
        if prefer_role and any(role == prefer_role for _, role in members):
            members = [(email, role) for email, role in members if role == prefer_role]
        emails = [email for email, _ in members]
        if organisation.functional_mailbox:
            emails.append(organisation.functional_mailbox)
        return _dedupe(Recipient(email, organisation.pk) for email in emails)

    def prefetch_participants(self, process_ids) -> None:
        """The organisations taking part in many cases, in a few queries.

        Asks each concrete process model (``participating_organisations()``), and falls
        back to the organisations its deadlines name.
        """
        # Imported here: workflows.models imports this module (the kind table).
        from workflows.models import Deadline

        missing = {pk for pk in process_ids if pk not in self._participants}
        if not missing:
            return
        by_flow: dict[type, list[int]] = {}
        for pk, flow_class in Process.objects.filter(pk__in=missing).values_list(
            "pk", "flow_class"
        ):
            if isinstance(flow_class, type):
                by_flow.setdefault(flow_class, []).append(pk)
        for flow_class, pks in by_flow.items():
            process_class = flow_class.process_class
            if not hasattr(process_class, "participating_organisations"):
                continue
            queryset = process_class._default_manager.filter(pk__in=pks)
            prefetch = getattr(process_class, "participants_prefetch", None)
            if prefetch is not None:
                queryset = prefetch(queryset)
            for pk, process in queryset.in_bulk().items():
                self._participants[pk] = list(process.participating_organisations())
        missing -= set(self._participants)
        if not missing:
            return
        pairs = set(
            Deadline.objects.filter(process_id__in=missing).values_list(
                "process_id", "responsible_organisation_id"
            )
        )
        self.prefetch(organisation_ids={organisation_id for _, organisation_id in pairs})
        for pk in missing:
            self._participants[pk] = []
        for process_id, organisation_id in sorted(pairs):
            self._participants[process_id].append(self._organisations[organisation_id])

    def participants(self, process_id: int) -> list:
        """The organisations taking part in the case (see ``prefetch_participants``)."""
        self.prefetch_participants([process_id])
        return self._participants[process_id]

    def _kommun_side_participants(self, deadline) -> list:
        return [
            organisation
            for organisation in self.participants(deadline.process_id)
            if organisation.effective_huvudman == "KOMMUN"
        ]

    # -- rungs

    def remind(self, deadline) -> list[Recipient]:
        organisation_id = deadline.responsible_organisation_id
        user_id = deadline.responsible_user_id
        if user_id is not None and user_id not in self._users:
            self.prefetch(user_ids=[user_id])
        email, is_active = self._users.get(user_id, ("", False))
        if email and is_active:
            recipients = [Recipient(email, organisation_id)]
        else:
            recipients = self._unit(self.organisation(organisation_id))
        invitee = _invitation_recipient(deadline)
        if invitee is not None:
            recipients.append(invitee)
        return _dedupe(recipients)

    def escalation_organisation(self, deadline):
        """The KSA or GSA organisation that receives the escalation, or None."""
        organisation = self.organisation(deadline.responsible_organisation_id)
        area = organisation.area
        if organisation.effective_huvudman == "KOMMUN":
            if area.kind == "STADSDELSOMRADE" and area.ksa_id:
                return self.organisation(area.ksa_id)
            kommun = area.kommun
            return self.organisation(kommun.ksa_id) if kommun and kommun.ksa_id else None
        if area.gsa_id:
            return self.organisation(area.gsa_id)
        for participant in self._kommun_side_participants(deadline):
            for candidate in (participant.area, participant.area.parent):
                if candidate is not None and candidate.gsa_id:
                    return self.organisation(candidate.gsa_id)
        return None

    def escalate(self, deadline) -> list[Recipient]:
        coordinator = self.escalation_organisation(deadline)
        if coordinator is None:
            return []
        prefer = "KSA" if coordinator.effective_huvudman == "KOMMUN" else ""
        return self._unit(coordinator, prefer_role=prefer)

    def breach_kommuns(self, deadline) -> list:
        organisation = self.organisation(deadline.responsible_organisation_id)
        if organisation.effective_huvudman == "KOMMUN":
            candidates = [organisation.area.kommun]
        else:
            candidates = [p.area.kommun for p in self._kommun_side_participants(deadline)]
        kommuns = {}
        for kommun in candidates:
            if kommun is not None:
                kommuns[kommun.pk] = kommun
        return list(kommuns.values())

    def breach(self, deadline) -> list[Recipient]:
        recipients = []
        for kommun in self.breach_kommuns(deadline):
            if kommun.pk not in self._mas:
                rows = (
                    Membership.objects.filter(
                        role=Membership.Role.MAS, is_active=True, user__is_active=True
                    )
                    .filter(
                        models.Q(organisation__area=kommun)
                        | models.Q(organisation__area__parent=kommun)
                    )
                    .exclude(user__email="")
                    .order_by("user__email")
                    .values_list("user__email", "organisation_id")
                )
                self._mas[kommun.pk] = [Recipient(email, org_id) for email, org_id in rows]
            recipients.extend(self._mas[kommun.pk])
        return _dedupe(recipients)


def _dedupe(recipients) -> list[Recipient]:
    seen, result = set(), []
    for recipient in recipients:
        key = recipient.email.lower()
        if key not in seen:
            seen.add(key)
            result.append(recipient)
    return result


INVITATION_PREFIX = "invitation:"


def _invitation_recipient(deadline) -> Recipient | None:
    """The invitee of an INVITATION_RESPONSE deadline, with their one-click link.

    The SIP app owns invitations and provides their recipient (``workflows.hooks``);
    without it there is no invitee to remind.
    """
    if deadline.kind != "INVITATION_RESPONSE" or not deadline.subject_key.startswith(
        INVITATION_PREFIX
    ):
        return None
    try:
        invitation_id = int(deadline.subject_key[len(INVITATION_PREFIX) :])
    except ValueError:
        return None
    invitation_recipient = hooks.provided(hooks.INVITATION_RECIPIENT)
    if invitation_recipient is None:
        return None
    try:
        email, ack_url = invitation_recipient(invitation_id=invitation_id)
    except Exception:  # one bad invitation must not stop the sweep of all the others
        logger.exception("no recipient for invitation %s", invitation_id)
        return None
    if not email:
        return None
    return Recipient(email, None, ack_url)


def due_rungs(code: str, *, due_at: dt.datetime, level: int, now: dt.datetime) -> list[int]:
    """The rungs (from ``level``) whose time has come, the ones to act on.

    After downtime several rungs may be due at once: every escalation and breach is
    taken, but a reminder is skipped when a later rung is due too (a reminder before
    the due time is pointless once the deadline is being escalated).
    """
    rungs = ladder(code)
    due = [i for i in range(level, len(rungs)) if rung_at(code, due_at=due_at, level=i) <= now]
    return [i for i in due if rungs[i].action != REMIND or i == due[-1]]


def level_after(code: str, *, due_at: dt.datetime, level: int, now: dt.datetime) -> int:
    """The rung to wait for once every rung due by ``now`` has been taken."""
    due = due_rungs(code, due_at=due_at, level=level, now=now)
    return due[-1] + 1 if due else level


def context_kind_label(context: dict) -> None:
    """For the outbox (``notifications.links``): a stored row's ``kind`` as its label."""
    if "kind" in context:
        context["kind_label"] = kind_label(context["kind"])
