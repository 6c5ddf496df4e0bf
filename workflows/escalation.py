"""The deadline kinds and their escalation ladders, in one table.

A ladder is a list of rungs, each an offset from ``due_at`` and an action:

1. ``REMIND`` the responsible person/organisation before the due time,
2. ``REMIND`` at the due time,
3. ``ESCALATE`` to the area's KSA (kommun side) or GSA (region side),
4. ``BREACH``: the MAS of the kommun concerned is notified and a deviation drafted.

The sweep (``workflows.tasks.sweep_deadlines``) takes the rungs in order; a met or
cancelled deadline stops the ladder at once.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

REMIND = "REMIND"
ESCALATE = "ESCALATE"
BREACH = "BREACH"


@dataclass(frozen=True)
class Rung:
    offset: dt.timedelta  # from due_at; negative is before the due time
    action: str


@dataclass(frozen=True)
class DeadlineKind:
    code: str
    label: str
    ladder: tuple[Rung, ...]


def _standard(before: dt.timedelta, escalate_after: dt.timedelta, breach_after: dt.timedelta):
    return (
        Rung(-before, REMIND),
        Rung(dt.timedelta(0), REMIND),
        Rung(escalate_after, ESCALATE),
        Rung(breach_after, BREACH),
    )


H = dt.timedelta(hours=1)

KINDS: dict[str, DeadlineKind] = {
    kind.code: kind
    for kind in [
        DeadlineKind(
            "INSKRIVNINGSMEDDELANDE",
            _("Admission notice to the units concerned"),
            _standard(before=6 * H, escalate_after=2 * H, breach_after=4 * H),
        ),
        DeadlineKind(
            "INSKRIVNING_ACK",
            _("Acknowledge the admission notice"),
            _standard(before=4 * H, escalate_after=4 * H, breach_after=24 * H),
        ),
        DeadlineKind(
            "FAST_VARDKONTAKT",
            _("Appoint the designated care contact"),
            _standard(before=24 * H, escalate_after=2 * H, breach_after=24 * H),
        ),
        DeadlineKind(
            "UTSKRIVNINGSKLAR_ACK",
            _("Acknowledge the ready-for-discharge notice"),
            _standard(before=4 * H, escalate_after=2 * H, breach_after=24 * H),
        ),
        DeadlineKind(
            "SIP_KALLELSE",
            _("Send the invitation to SIP"),
            _standard(before=24 * H, escalate_after=2 * H, breach_after=24 * H),
        ),
        DeadlineKind(
            "DISCHARGE_INFORMATION",
            _("Information at discharge"),
            _standard(before=4 * H, escalate_after=2 * H, breach_after=24 * H),
        ),
        DeadlineKind(
            "INVITATION_RESPONSE",
            _("Answer the invitation to SIP"),
            _standard(before=24 * H, escalate_after=4 * H, breach_after=24 * H),
        ),
        DeadlineKind(
            "SIP_FOLLOW_UP",
            _("Follow up the SIP"),
            _standard(before=7 * 24 * H, escalate_after=7 * 24 * H, breach_after=30 * 24 * H),
        ),
    ]
}


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def ladder(code: str) -> tuple[Rung, ...]:
    return KINDS[code].ladder


def next_action_at(code: str, *, due_at: dt.datetime, level: int, now: dt.datetime):
    """When rung ``level`` (0-based) is due, or None past the last rung.

    A deadline opened late starts at the first rung not already past, but never skips
    the last one (a breach is always recorded).
    """
    rungs = ladder(code)
    if level >= len(rungs):
        return None
    return due_at + rungs[level].offset


def first_level(code: str, *, due_at: dt.datetime, now: dt.datetime) -> int:
    """The rung a new deadline starts at: reminders whose time has passed are skipped."""
    rungs = ladder(code)
    for level, rung in enumerate(rungs):
        if due_at + rung.offset > now or rung.action != REMIND:
            return level
    return len(rungs) - 1
