"""Deadline kinds said as parts of a sentence, for email subjects that read as Swedish
("Påminnelse: inskrivningsmeddelandet ska kvitteras senast 2 dec 2026 14:00") rather
than a label followed by a date.

Each flow registers the phrases of its kinds next to their declaration
(``<flow>/kinds.py``); ``context_kind_phrases`` hands them to the email templates as
``kind_due`` ("… ska kvitteras") and ``kind_not_done`` ("… har inte kvitterats"). A kind
without phrases falls back to its label in the templates.

>>> register("EXAMPLE", due="the example is to be done", not_done="the example is not done")
>>> context = {"kind": "EXAMPLE"}
>>> context_kind_phrases(context)
>>> context["kind_due"], context["kind_not_done"]
('the example is to be done', 'the example is not done')
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrases:
    due: str  # "the admission notice is to be acknowledged"
    not_done: str  # "the admission notice has not been acknowledged"


_PHRASES: dict[str, Phrases] = {}


def register(code: str, *, due, not_done) -> None:
    _PHRASES[code] = Phrases(due=due, not_done=not_done)


def phrases(code: str) -> Phrases | None:
    return _PHRASES.get(code)


def context_kind_phrases(context: dict) -> None:
    """For the outbox (``notifications.links``): a stored row's ``kind`` as phrases."""
    found = phrases(context.get("kind", ""))
    if found is not None:
        context["kind_due"] = str(found.due)
        context["kind_not_done"] = str(found.not_done)
