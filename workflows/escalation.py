"""The deadline-kind registry and the escalation ladders.

A ladder is a list of rungs, each an offset from ``due_at`` and an action:

1. ``REMIND`` the responsible person/organisation before the due time,
2. ``REMIND`` at the due time,
3. ``ESCALATE`` to the coordinator of the unit that owns the duty (its KSA, manager or
   GSA: the unit's escalation chain, ``coordination.chains``),
4. ``BREACH``: the MAS (kommun) or chefläkare and MAS (region) at the end of that chain
   are notified and a deviation drafted.

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
from viewflow.workflow.models import Process

from coordination import chains

from . import deadlines, hooks

logger = logging.getLogger(__name__)

REMIND = "REMIND"
ESCALATE = "ESCALATE"
BREACH = "BREACH"


#: Who owns each action of a ladder (the recipients are found by ``Recipients``).
OWNERS = {
    REMIND: "RESPONSIBLE",  # the unit (or person) that owns the duty
    ESCALATE: "COORDINATOR",  # rung 2 of the owner's chain: KSA, manager or GSA
    BREACH: "MAS",  # rung 3 of the owner's chain: MAS or chefläkare, deviation drafted
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


_READ = object()


def plan(
    code: str, *, due_at: dt.datetime, level: int, now: dt.datetime, hours=_READ
) -> tuple[list[int], int, dt.datetime | None]:
    """``due_rungs``, ``level_after`` and ``next_action_at`` of one deadline at once,
    each rung's time worked out once: (the rungs to act on, the rung to wait for next,
    when that is acted on or None past the last rung). The sweep's form: ``hours`` is
    ``office_hours()`` read once for the whole sweep.
    """
    rungs = ladder(code)
    if hours is _READ:
        hours = office_hours()
    held_kind = hours is not None and not KINDS[code].calendar_hours_by_law
    times = []
    for rung in rungs[level:]:
        at = due_at + rung.offset
        if held_kind and rung.action != BREACH:
            at = deadlines.held_to_office_hours(at, opens=hours[0], closes=hours[1])
        times.append(at)
    due = [i for i, at in enumerate(times, level) if at <= now]
    if not due:
        return [], level, min(times) if times else None
    last = due[-1]
    taken = [i for i in due if rungs[i].action != REMIND or i == last]
    after = last + 1
    return taken, after, min(times[after - level :]) if after < len(rungs) else None


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

    Every rung goes to the chain of the organisation that owns the duty
    (``coordination.chains``), never to another party of the case:

    * REMIND: the responsible person if set, else the unit's staff and its functional
      mailbox (and, for an invitation, the invitee);
    * ESCALATE: the unit's coordinator: the KSA (kommun side), the unit it is part of or
      the area's GSA (region side), or the one an administrator set;
    * BREACH: the MAS of the unit's kommun, or the chefläkare and MAS of its region.

    ``told`` (the addresses already sent a rung of the same deadline) is left out of an
    escalation and a breach: each rung reaches people who were not told before.

    Works from ids (``responsible_organisation_id``, ``responsible_user_id``,
    ``process_id``, ``kind``, ``subject_key``), so it takes a ``Deadline`` or any row
    with those attributes; the sweep passes plain rows to stay fast.
    """

    def __init__(self):
        self.chains = chains.ChainResolver()
        self._users: dict[int, tuple[str, bool]] = {}
        self._participants: dict[int, list] = {}
        self._chains: dict[int, chains.Chain] = {}
        self._units: dict[int, list[Recipient]] = {}

    # -- caches

    def prefetch(self, *, organisation_ids=(), user_ids=()) -> None:
        """Load many organisations, their active members and users in a few queries."""
        self.chains.prefetch(organisation_ids=organisation_ids)
        missing = {pk for pk in user_ids if pk is not None and pk not in self._users}
        if missing:
            users = get_user_model().objects.filter(pk__in=missing)
            for pk, email, is_active in users.values_list("pk", "email", "is_active"):
                self._users[pk] = (email, is_active)

    def organisation(self, pk):
        return self.chains.organisation(pk)

    def chain(self, deadline) -> chains.Chain:
        pk = deadline.responsible_organisation_id
        if pk not in self._chains:
            self._chains[pk] = self.chains.chain(self.organisation(pk))
        return self._chains[pk]

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
            self._participants[process_id].append(self.organisation(organisation_id))

    def participants(self, process_id: int) -> list:
        """The organisations taking part in the case (see ``prefetch_participants``)."""
        self.prefetch_participants([process_id])
        return self._participants[process_id]

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
            recipients = self._unit(organisation_id)
        invitee = _invitation_recipient(deadline)
        if invitee is None:
            return list(recipients)
        return _dedupe([*recipients, invitee])

    def _unit(self, organisation_id) -> list[Recipient]:
        """The unit's staff and functional mailbox, deduplicated, once per sweep."""
        if organisation_id not in self._units:
            organisation = self.organisation(organisation_id)
            self._units[organisation_id] = _dedupe(
                Recipient(e, pk) for e, pk in self.chains.unit_people(organisation)
            )
        return self._units[organisation_id]

    def escalate(self, deadline, *, told=()) -> list[Recipient]:
        people = self.chains.coordinator_people(self.chain(deadline))
        return _dedupe(Recipient(email, pk) for email, pk in people if _new(email, told))

    def breach(self, deadline, *, told=()) -> list[Recipient]:
        return _dedupe(
            Recipient(person.email, person.organisation_id)
            for person in self.chain(deadline).overseers
            if _new(person.email, told)
        )


def _new(email: str, told) -> bool:
    return email.lower() not in told


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
