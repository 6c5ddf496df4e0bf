"""Named hooks between apps that must not import each other.

The two processes (``workflows.discharge`` and ``workflows.sip``) are independent
(import-linter keeps them so), yet a discharge starts a SIP and the sweep reminds an
invitee. The app that can do a thing provides it here in its ``AppConfig.ready()``;
the app that needs it asks by name and copes when nobody provides it.

>>> provide("example.double", lambda n: 2 * n)
>>> provided("example.double")(21)
42
>>> provided("example.missing") is None
True
"""

from collections.abc import Callable

#: A discharge asks for a SIP: ``fn(*, discharge_process, by) -> SipProcess``.
SIP_START_FROM_DISCHARGE = "sip.start_from_discharge"
#: A SIP started from a discharge has invited every participant: the discharge's
#: kallelse went out. ``fn(*, process_id, by, at)``.
KALLELSE_SENT = "discharge.kallelse_sent"
#: A SIP started from a discharge saved a plan version: for a patient leaving for
#: öppen tvångsvård it is the samordnad vårdplan. ``fn(*, process_id, by, at)``.
SIP_PLAN_SAVED = "discharge.sip_plan_saved"
#: The invitee of an invitation: ``fn(*, invitation_id) -> (email, acknowledgement URL)``.
INVITATION_RECIPIENT = "sip.invitation_recipient"

#: The sweep took rungs of deadlines, in the batch's transaction:
#: ``fn(*, events, deadlines)`` with ``events`` the ``(deadline_id, DeadlineEvent kind,
#: at, level, note)`` tuples it wrote and ``deadlines`` the rows it moved on.
DEADLINE_RUNGS_TAKEN = "deadlines.rungs_taken"

_provided: dict[str, Callable] = {}


def provide(name: str, fn: Callable) -> None:
    _provided[name] = fn


def provided(name: str) -> Callable | None:
    return _provided.get(name)
