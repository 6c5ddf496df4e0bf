"""What the outbox writes for an organisation, announced to whoever listens.

``notifications`` is a leaf: it imports no workflow and no API. A higher app that must
react when a message is written for an organisation (the webhooks of ``api``) registers
a listener in its ``AppConfig.ready()``; the outbox calls every listener in the
transaction that writes the rows, so a rolled-back transaction announces nothing that
stays.

A listener receives a list of ``OrganisationMessage`` (one per outbox row that names an
organisation) and must not fail for reasons of its own: an exception rolls back the
caller's transaction, exactly like a failing insert into the outbox would.

>>> seen = []
>>> listen(seen.extend)
>>> announce([OrganisationMessage(key="k", organisation_id=1, template="t",
...                               process_id=None, deadline_id=None, at=None, data={})])
>>> [m.key for m in seen]
['k']
>>> unlisten(seen.extend)
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OrganisationMessage:
    """One outbox row written for an organisation, as plain data.

    ``key`` is the row's idempotency key; ``data`` is the row's plain template data
    (the sweep's rows: deadline kind, due time, rung), which may name organisations
    but never individuals.
    """

    key: str
    organisation_id: int
    template: str
    process_id: int | None
    deadline_id: int | None
    at: dt.datetime | None
    data: dict = field(default_factory=dict)


_listeners: list[Callable[[list[OrganisationMessage]], None]] = []


def listen(fn: Callable[[list[OrganisationMessage]], None]) -> None:
    if fn not in _listeners:
        _listeners.append(fn)


def unlisten(fn: Callable[[list[OrganisationMessage]], None]) -> None:
    if fn in _listeners:
        _listeners.remove(fn)


def announce(messages: list[OrganisationMessage]) -> None:
    """Tell every listener; nothing to do when nobody listens or nothing was written."""
    if not messages:
        return
    for listener in list(_listeners):
        listener(messages)
