"""The deadline sweep: the clock of the whole system.

Celery beat runs ``sweep_deadlines`` every minute. Deadlines live in PostgreSQL, so a
lost broker message, a deploy or an outage only delays a reminder; the next sweep finds
it. Two sweeps at once (a second beat, a slow run overlapping the next) are harmless:
rows are taken with ``SELECT … FOR UPDATE SKIP LOCKED`` and every email has a unique
idempotency key (deadline, rung, recipient).

The sweep's cost grows with the number of deadlines due, not with the number open: the
only scan is the partial index ``deadline_sweep_idx``, and each batch is read as plain
rows, each row's rungs worked out once, and written with set-based statements (the rows
as one ``jsonb`` parameter), sent a chunk at a time in pipeline mode so that the
database writes one chunk while the next is worked out (see bench/SWEEP.md).
"""

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import time

import psycopg
from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications import catalogue
from notifications.models import OutboundEmail
from notifications.services import (
    outbox_announce_many,
    outbox_enqueue_many,
    outbox_insert_many,
    outbox_schedule_delivery,
)
from workflows.deviations.services import Breach, deviations_draft_from_breaches

from . import digest, escalation, hooks
from .models import Deadline, DeadlineEvent, Heartbeat
from .services import heartbeat_record

logger = logging.getLogger(__name__)

#: Rows of a batch worked out before their writes are sent (``_pipeline``).
CHUNK_SIZE = 250

TEMPLATES = {
    escalation.REMIND: catalogue.DEADLINE_REMINDER,
    escalation.ESCALATE: catalogue.DEADLINE_ESCALATION,
    escalation.BREACH: catalogue.DEADLINE_BREACH,
}
EVENTS = {
    escalation.REMIND: DeadlineEvent.Kind.REMINDED,
    escalation.ESCALATE: DeadlineEvent.Kind.ESCALATED,
    escalation.BREACH: DeadlineEvent.Kind.BREACHED,
}


@dataclasses.dataclass
class SweepResult:
    deadlines: int = 0
    reminders: int = 0
    escalations: int = 0
    breaches: int = 0
    emails: int = 0


@dataclasses.dataclass(slots=True)
class _Row:
    """The columns of a deadline the sweep reads and writes."""

    pk: int
    kind: str
    subject_key: str
    due_at: dt.datetime
    status: str
    escalation_level: int
    next_action_at: dt.datetime | None
    process_id: int
    responsible_organisation_id: int
    responsible_user_id: int | None
    breached_at: dt.datetime | None = None


_COLUMNS = [
    "pk",
    "kind",
    "subject_key",
    "due_at",
    "status",
    "escalation_level",
    "next_action_at",
    "process_id",
    "responsible_organisation_id",
    "responsible_user_id",
]
_TIMES = {"due_at", "next_action_at"}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _email(
    deadline, level: int, recipient, *, action: str, now, organisation_name, told=None
) -> dict:
    """One outbox row for one rung and one recipient: plain data only, no names of
    individuals or health data (the template adds the case link). An escalation or a
    breach names the staff addresses told at the earlier rungs (``told``)."""
    told = told or {}
    rung = escalation.ladder(deadline.kind)[level]
    context = {
        "kind": deadline.kind,
        "due_at": deadline.due_at.isoformat(),
        "organisation": organisation_name,
        "level": level,
        "overdue": rung.offset.total_seconds() >= 0,
    }
    if recipient.ack_url:
        context["ack_url"] = recipient.ack_url
    if action != escalation.REMIND and told:
        # Staff and functional mailboxes only: never an invited individual's address.
        staff = sorted(email for email, organisation_id in told.items() if organisation_id)
        if staff:
            context["told_before"] = ", ".join(staff)
    if action == escalation.BREACH and escalation.outside_office_hours(now):
        context["outside_office_hours"] = True  # the email says why it comes at night
    return {
        "idempotency_key": f"deadline:{deadline.pk}:rung:{level}:{recipient.email.lower()}",
        "to": recipient.email,
        "template": TEMPLATES[action],
        "context": context,
        "process_id": deadline.process_id,
        "deadline_id": deadline.pk,
        "organisation_id": recipient.organisation_id,
        "created_at": now,
    }


def told_before(deadline_ids) -> dict[int, dict[str, int | None]]:
    """The addresses already sent a rung of each deadline (lower case), each with the
    organisation it was received for (None for an invited person), so that an
    escalation or a breach reaches people who were not told before."""
    told: dict[int, dict[str, int | None]] = {pk: {} for pk in deadline_ids}
    if told:
        rows = OutboundEmail.objects.filter(deadline_id__in=told).values_list(
            "deadline_id", "to", "organisation_id"
        )
        for deadline_id, to, organisation_id in rows:
            told[deadline_id][to.lower()] = organisation_id
    return told


def on_deadline_breached(
    deadline, *, now=None, recipients=None, emails=None, breaches=None, told=None
) -> list[dict]:
    """What a breach sets off, beyond the BREACHED event the sweep records.

    The overseers at the end of the duty owner's chain (the MAS of its kommun, or the
    chefläkare and MAS of its region) who were not told before are told through the
    outbox, and a samverkansavvikelse is drafted (one per deadline, ever).

    ``deadline`` is a ``Deadline`` (or a row with its ids). The sweep passes its
    ``emails`` list so the notices are written with the batch, in its transaction, and
    its ``breaches`` list so the deviations are drafted in bulk at the end of the batch;
    called alone, both are written here. Returns the outbox rows.
    """
    now = now or timezone.now()
    recipients = recipients or escalation.Recipients()
    if told is None:
        told = told_before([deadline.pk])[deadline.pk]
    level = len(escalation.ladder(deadline.kind)) - 1
    organisation = recipients.organisation(deadline.responsible_organisation_id)
    notices = [
        _email(
            deadline,
            level,
            recipient,
            action=escalation.BREACH,
            now=now,
            organisation_name=organisation.name,
            told=told,
        )
        for recipient in recipients.breach(deadline, told=told)
    ]
    if emails is None:
        outbox_enqueue_many(emails=notices)
    else:
        emails.extend(notices)
    breach = Breach(
        deadline_id=deadline.pk,
        process_id=deadline.process_id,
        kind=deadline.kind,
        due_at=deadline.due_at,
        receiver=organisation,
        participants=recipients.participants(deadline.process_id),
    )
    if breaches is None:
        deviations_draft_from_breaches([breach], now=now)
    else:
        breaches.append(breach)
    return notices


def _take_rungs(
    deadline: _Row, plan, *, now, recipients, result, emails, events, breaches, told
) -> None:
    """Act on every due rung of one locked deadline and move it to its next rung.

    ``plan`` is ``escalation.plan`` of the deadline: the rungs to take, the rung after
    them and when that one is due. ``told`` holds the addresses already sent a rung of
    this deadline; it grows as rungs are taken, so rungs taken together after downtime
    do not repeat people."""
    taken, level_after, next_at = plan
    rungs = escalation.ladder(deadline.kind)
    organisation = recipients.organisation(deadline.responsible_organisation_id)
    for level in taken:
        action = rungs[level].action
        prefix = ""
        if action == escalation.BREACH:
            written = on_deadline_breached(
                deadline,
                now=now,
                recipients=recipients,
                emails=emails,
                breaches=breaches,
                told=told,
            )
            deadline.status = Deadline.Status.BREACHED
            deadline.breached_at = now
            result.breaches += 1
            to = [email["to"] for email in written]
            told.update((email["to"].lower(), email["organisation_id"]) for email in written)
        else:
            found = (
                recipients.remind(deadline)
                if action == escalation.REMIND
                else recipients.escalate(deadline, told=told)
            )
            emails.extend(
                _email(
                    deadline,
                    level,
                    r,
                    action=action,
                    now=now,
                    organisation_name=organisation.name,
                    told=told,
                )
                for r in found
            )
            to = [r.email for r in found]
            told.update((r.email.lower(), r.organisation_id) for r in found)
            if action == escalation.ESCALATE and to:
                coordinator = recipients.chain(deadline).coordinator
                prefix = f"{coordinator.name}: " if coordinator is not None else ""
            if action == escalation.REMIND:
                result.reminders += 1
            else:
                result.escalations += 1
        note = (prefix + ", ".join(to) if to else "no recipient found")[:300]
        events.append((deadline.pk, EVENTS[action].value, now, level, note))
    # Whatever was due has been taken; the next rung, or nothing after the last.
    deadline.escalation_level = level_after
    deadline.next_action_at = next_at if deadline.status == Deadline.Status.OPEN else None


#: The last time written out by ``_iso`` and its text (one tuple, read and replaced
#: whole): a batch's times are mostly one and the same ``now``.
_last_iso: tuple = (None, "")


def _iso(value: dt.datetime | None) -> str | None:
    global _last_iso
    if value is None:
        return None
    last = _last_iso
    if value is not last[0]:
        last = _last_iso = (value, value.isoformat())
    return last[1]


def _write(events: list[tuple], changed: list[_Row]) -> None:
    """The batch's events and deadline updates, set-based on PostgreSQL: each a single
    statement whose rows travel as one JSON parameter (parsed by the server, not
    quoted element by element on the client)."""
    if connection.vendor != "postgresql":  # the embedded SQLite demo: plain ORM
        DeadlineEvent.objects.bulk_create(
            DeadlineEvent(deadline_id=d, kind=k, at=at, level=lv, note=n)
            for d, k, at, lv, n in events
        )
        for row in changed:
            Deadline.objects.filter(pk=row.pk).update(
                escalation_level=row.escalation_level,
                next_action_at=row.next_action_at,
                status=row.status,
                breached_at=row.breached_at,
            )
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if events:
            cursor.execute(
                f"INSERT INTO {quote(DeadlineEvent._meta.db_table)} "  # noqa: S608 (names from model metadata)
                "(deadline_id, kind, at, level, note) "
                "SELECT (r->>0)::bigint, r->>1, (r->>2)::timestamptz, (r->>3)::int, r->>4 "
                "FROM jsonb_array_elements(%s::jsonb) AS r",
                [json.dumps([(d, k, _iso(at), lv, n) for d, k, at, lv, n in events])],
            )
        if changed:
            cursor.execute(
                f"UPDATE {quote(Deadline._meta.db_table)} AS d SET "  # noqa: S608 (names from model metadata)
                "escalation_level = v.level, next_action_at = v.next_at, "
                "status = v.status, breached_at = v.breached_at "
                "FROM (SELECT (r->>0)::bigint AS id, (r->>1)::int AS level, "
                "(r->>2)::timestamptz AS next_at, r->>3 AS status, "
                "(r->>4)::timestamptz AS breached_at "
                "FROM jsonb_array_elements(%s::jsonb) AS r) AS v "
                "WHERE d.id = v.id",
                [
                    json.dumps(
                        [
                            (
                                row.pk,
                                row.escalation_level,
                                _iso(row.next_action_at),
                                row.status,
                                _iso(row.breached_at),
                            )
                            for row in changed
                        ]
                    )
                ],
            )


def _pipeline():
    """PostgreSQL's pipeline mode for a batch's writes: each statement is sent without
    waiting for its outcome, so the database writes one chunk while Python works out
    the next. Elsewhere (the SQLite demo, a libpq without pipelines) statements run
    one by one."""
    if connection.vendor != "postgresql" or not psycopg.Pipeline.is_supported():
        return contextlib.nullcontext()
    connection.ensure_connection()
    return connection.connection.pipeline()


def _claim(*, now, batch_size: int) -> list[_Row]:
    """Lock the next batch of due deadlines (skipping rows another sweep or a flow
    holds), read as plain rows: one indexed range scan of ``deadline_sweep_idx``."""
    if connection.vendor != "postgresql":  # the embedded SQLite demo: plain ORM
        return [
            _Row(*values)
            for values in Deadline.objects.select_for_update(skip_locked=True)
            .filter(status=Deadline.Status.OPEN, next_action_at__lte=now)
            .order_by("next_action_at", "pk")
            .values_list(*_COLUMNS)[:batch_size]
        ]
    quote = connection.ops.quote_name
    meta = Deadline._meta
    columns = []
    for name in _COLUMNS:
        column = quote((meta.pk if name == "pk" else meta.get_field(name)).column)
        if name in _TIMES:  # whole microseconds since the epoch, exact
            column = f"(extract(epoch FROM {column}) * 1000000)::bigint"
        columns.append(column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} "  # noqa: S608 (names from model metadata)
            "WHERE status = %s AND next_action_at <= %s "
            "ORDER BY next_action_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
            [Deadline.Status.OPEN.value, now, batch_size],
        )
        rows = cursor.fetchall()
    # Times as integers: a timedelta added to the epoch is far cheaper per row than
    # parsing each timestamp.
    return [
        _Row(
            pk,
            kind,
            subject_key,
            _EPOCH + dt.timedelta(microseconds=due_at),
            status,
            level,
            _EPOCH + dt.timedelta(microseconds=next_at),
            process_id,
            organisation_id,
            user_id,
        )
        for (
            pk,
            kind,
            subject_key,
            due_at,
            status,
            level,
            next_at,
            process_id,
            organisation_id,
            user_id,
        ) in rows
    ]


def deadlines_sweep(*, now=None, batch_size: int | None = None) -> SweepResult:
    """Take the next rung of every open deadline whose ``next_action_at`` has passed.

    Each batch is one transaction: the deadline rows are locked (skipping rows another
    sweep or a flow holds), re-checked, moved on, and their events and outbox rows
    written; delivery is queued after commit.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.KARDBORRE_SWEEP_BATCH_SIZE
    result = SweepResult()
    recipients = escalation.Recipients()
    hours = escalation.office_hours()
    while True:
        with transaction.atomic():
            batch = _claim(now=now, batch_size=batch_size)
            if not batch:
                break
            recipients.prefetch(
                organisation_ids={row.responsible_organisation_id for row in batch},
                user_ids={row.responsible_user_id for row in batch},
            )
            # Each row's rungs worked out once. Re-checked under the lock: a flow may
            # have met a deadline since it was chosen.
            due = [
                row
                for row in batch
                if row.status == Deadline.Status.OPEN and row.next_action_at <= now
            ]
            plans = {
                row.pk: escalation.plan(
                    row.kind, due_at=row.due_at, level=row.escalation_level, now=now, hours=hours
                )
                for row in due
                if row.kind in escalation.KINDS
            }
            # Escalations and breaches leave out who was told before; a breach drafts
            # a deviation for the case's other side.
            escalating, breaching = [], []
            for row in due:
                if row.pk in plans:
                    rungs = escalation.ladder(row.kind)
                    actions = {rungs[level].action for level in plans[row.pk][0]}
                    if actions - {escalation.REMIND}:
                        escalating.append(row.pk)
                    if escalation.BREACH in actions:
                        breaching.append(row.process_id)
            recipients.prefetch_participants(breaching)
            told = told_before(escalating)
            emails, events, changed, breaches, counts = [], [], [], [], []
            # Written a chunk at a time and pipelined: the server writes one chunk
            # while the next is worked out; the outcome is checked when the
            # pipeline ends (an error there rolls the batch back like any other).
            with _pipeline():
                for start in range(0, len(due), CHUNK_SIZE):
                    first = (len(emails), len(events), len(changed))
                    for row in due[start : start + CHUNK_SIZE]:
                        if row.pk not in plans:
                            logger.error("deadline %s has unknown kind %s", row.pk, row.kind)
                            row.next_action_at = None
                            changed.append(row)
                            continue
                        _take_rungs(
                            row,
                            plans[row.pk],
                            now=now,
                            recipients=recipients,
                            result=result,
                            emails=emails,
                            events=events,
                            breaches=breaches,
                            told=told.get(row.pk, {}),
                        )
                        changed.append(row)
                    _write(events[first[1] :], changed[first[2] :])
                    counts.append(outbox_insert_many(emails=emails[first[0] :]))
            if rungs_taken := hooks.provided(hooks.DEADLINE_RUNGS_TAKEN):
                rungs_taken(events=events, deadlines=changed)
            deviations_draft_from_breaches(breaches, now=now)
            outbox_announce_many(emails=emails)
            result.emails += sum(count() for count in counts)
            result.deadlines += len(changed)
        if len(batch) < batch_size:
            break
    if result.emails:
        # Once for the whole sweep, after every batch has committed.
        outbox_schedule_delivery()
    if result.deadlines:
        logger.info("deadline sweep: %s", dataclasses.asdict(result))
    return result


@shared_task(name="workflows.tasks.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> dict:
    """The sweep, then its "last finished at" row (read by health, metrics and beat)."""

    started_at = timezone.now()
    started = time.monotonic()
    result = deadlines_sweep(now=started_at)
    heartbeat_record(
        name=Heartbeat.Name.SWEEP,
        at=timezone.now(),
        started_at=started_at,
        duration_seconds=time.monotonic() - started,
    )
    return dataclasses.asdict(result)


@shared_task(name="workflows.tasks.send_daily_digests", ignore_result=True)
def send_daily_digests() -> int:
    """Queue today's digest for every user with something due or overdue (idempotent)."""
    return digest.digest_send_all()
