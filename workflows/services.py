"""The only writers of Deadline rows. Flow nodes call these; views never do."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed, FlowRuntimeError
from viewflow.workflow.status import PROCESS

from . import escalation
from .models import Deadline, DeadlineEvent, Heartbeat


@transaction.atomic(savepoint=False)
def deadline_open(
    *,
    process,
    kind,
    responsible_organisation,
    due_at,
    subject_key="",
    responsible_user=None,
    by=None,
    note="",
    late_registration=False,
) -> Deadline | None:
    """Record a new obligation. An open one for the same obligation is replaced
    (cancelled) so its clock restarts, as when utskrivningsklar is reissued.

    A local kind (``DeadlineKind.local``) that ``KARDBORRE_LOCAL_DEADLINES`` does not
    switch on is not opened: nothing is written and None is returned; the flow's task
    for the duty is there all the same.

    ``late_registration``: the facts are registered after the time they happened. An
    obligation whose breach is already past is then recorded as breached at
    registration, without a ladder of reminders, escalations and breach notices about
    something that could never have been met in time.
    """
    if kind not in escalation.KINDS:
        raise ValueError(f"unknown deadline kind {kind!r}")
    if not escalation.is_enabled(kind):
        return None
    now = timezone.now()
    deadline_cancel(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        by=by,
        note="replaced",
    )
    if late_registration:
        breach_at = due_at + escalation.ladder(kind)[-1].offset
        if breach_at <= now:
            return _breached_at_registration(
                process=process,
                kind=kind,
                subject_key=subject_key,
                responsible_organisation=responsible_organisation,
                responsible_user=responsible_user,
                due_at=due_at,
                by=by,
                note=note,
                now=now,
            )
    level = escalation.first_level(kind, due_at=due_at, now=now)
    deadline = Deadline(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        responsible_user=responsible_user,
        due_at=due_at,
        escalation_level=level,
        next_action_at=escalation.next_action_at(kind, due_at=due_at, level=level, now=now),
        created_at=now,
        note=note,
    )
    _insert_opened(deadline, at=now, by=by)
    return deadline


def _quoted_columns(model) -> tuple:
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    return quote, fields, ", ".join(quote(field.column) for field in fields)


def _event_columns() -> str:
    quote = connection.ops.quote_name
    return ", ".join(
        quote(DeadlineEvent._meta.get_field(name).column)
        for name in ("deadline", "kind", "at", "by", "level", "note")
    )


def _insert_opened(deadline: Deadline, *, at, by) -> None:
    """Write a new deadline and its OPENED event: on PostgreSQL one statement (the
    event's INSERT reads the deadline's, so it runs after it)."""
    if connection.vendor != "postgresql":  # the embedded SQLite demo
        deadline.save(force_insert=True)
        DeadlineEvent.objects.create(
            deadline=deadline, kind=DeadlineEvent.Kind.OPENED, at=at, by=by
        )
        return
    quote, fields, columns = _quoted_columns(Deadline)
    values = [
        field.get_db_prep_save(field.pre_save(deadline, True), connection) for field in fields
    ]
    pk = quote(Deadline._meta.pk.column)
    # Names from the models; every value is a parameter.
    statement = (
        f"WITH d AS (INSERT INTO {quote(Deadline._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {pk}), "
        f"e AS (INSERT INTO {quote(DeadlineEvent._meta.db_table)} ({_event_columns()}) "
        f"SELECT {pk}, %s, %s, %s, 0, '' FROM d) "
        f"SELECT {pk} FROM d"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*values, DeadlineEvent.Kind.OPENED, at, getattr(by, "pk", None)])
        deadline.pk = cursor.fetchone()[0]
    deadline._state.adding = False
    deadline._state.db = connection.alias


BREACHED_AT_REGISTRATION = "breached at registration"


def _breached_at_registration(
    *, process, kind, subject_key, responsible_organisation, responsible_user, due_at, by, note, now
) -> Deadline:
    deadline = Deadline.objects.create(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        responsible_user=responsible_user,
        due_at=due_at,
        status=Deadline.Status.BREACHED,
        escalation_level=len(escalation.ladder(kind)),
        next_action_at=None,
        created_at=now,
        breached_at=now,
        note=note or BREACHED_AT_REGISTRATION,
    )
    DeadlineEvent.objects.create(deadline=deadline, kind=DeadlineEvent.Kind.OPENED, at=now, by=by)
    DeadlineEvent.objects.create(
        deadline=deadline,
        kind=DeadlineEvent.Kind.BREACHED,
        at=now,
        by=by,
        note=BREACHED_AT_REGISTRATION,
    )
    return deadline


def _close(
    *,
    process,
    statuses,
    set_values: dict,
    event_kind,
    at,
    by,
    note="",
    kind=None,
    subject_key=None,
    responsible_organisation=None,
) -> list[Deadline]:
    """Close the matching deadlines with one ``UPDATE … RETURNING`` and record their
    events in the same statement (PostgreSQL; the SQLite demo adds one INSERT):
    whatever the number of rows. The UPDATE's own condition on ``status`` is checked
    again on each row it waits for, so a deadline a concurrent sweep or step closed
    first is not closed twice."""
    meta = Deadline._meta
    quote = connection.ops.quote_name

    def column(name):
        return quote(meta.get_field(name).column)

    values = {"status": set_values.pop("status"), "next_action_at": None, **set_values}
    assignments = ", ".join(f"{column(name)} = %s" for name in values)
    params = [
        meta.get_field(name).get_db_prep_save(value, connection) for name, value in values.items()
    ]
    conditions = [
        f"{column('process')} = %s",
        f"{column('status')} IN ({', '.join(['%s'] * len(statuses))})",
    ]
    params += [process.pk, *statuses]
    for name, value in (
        ("kind", kind),
        ("subject_key", subject_key),
        ("responsible_organisation", getattr(responsible_organisation, "pk", None)),
    ):
        if value is not None:
            conditions.append(f"{column(name)} = %s")
            params.append(value)
    fields = meta.concrete_fields
    returned = ", ".join(quote(field.column) for field in fields)
    # Names from the model; every value is a parameter.
    statement = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} RETURNING {returned}"
    )
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # the events in the same statement: their INSERT reads the UPDATE's rows
        pk = quote(meta.pk.column)
        statement = (
            f"WITH c AS ({statement}), "  # noqa: S608
            f"e AS (INSERT INTO {quote(DeadlineEvent._meta.db_table)} ({_event_columns()}) "
            f"SELECT {pk}, %s, %s, %s, 0, %s FROM c) "
            f"SELECT {returned} FROM c"
        )
        params += [event_kind, at, getattr(by, "pk", None), note]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    columns = [field.get_col(meta.db_table) for field in fields]
    converters = [
        connection.ops.get_db_converters(col) + col.get_db_converters(connection) for col in columns
    ]
    closed = []
    for row in rows:
        values_in = []
        for col, field_converters, value in zip(columns, converters, row, strict=True):
            for converter in field_converters:
                value = converter(value, col, connection)
            values_in.append(value)
        closed.append(Deadline.from_db(connection.alias, [f.attname for f in fields], values_in))
    if not postgresql:
        DeadlineEvent.objects.bulk_create(
            [
                DeadlineEvent(deadline=deadline, kind=event_kind, at=at, by=by, note=note)
                for deadline in closed
            ]
        )
    return closed


@transaction.atomic(savepoint=False)
def deadline_meet(
    *, process, kind, subject_key="", responsible_organisation=None, by=None, at=None
) -> list[Deadline]:
    """Mark the open (or already breached) obligation met; the ladder stops at once."""
    at = at or timezone.now()
    return _close(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        statuses=[Deadline.Status.OPEN, Deadline.Status.BREACHED],
        set_values={"status": Deadline.Status.MET, "met_at": at, "met_by": getattr(by, "pk", None)},
        event_kind=DeadlineEvent.Kind.MET,
        at=at,
        by=by,
    )


@transaction.atomic(savepoint=False)
def deadline_cancel(
    *, process, kind, subject_key="", responsible_organisation=None, by=None, note=""
) -> list[Deadline]:
    """Cancel the open obligation (no longer owed, or replaced by a new one)."""
    now = timezone.now()
    return _close(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        statuses=[Deadline.Status.OPEN, Deadline.Status.BREACHED],
        set_values={"status": Deadline.Status.CANCELLED, "cancelled_at": now},
        event_kind=DeadlineEvent.Kind.CANCELLED,
        at=now,
        by=by,
        note=note,
    )


@transaction.atomic(savepoint=False)
def deadlines_cancel_open(*, process, by=None, note="") -> list[Deadline]:
    """Cancel every open obligation of a process (it was withdrawn); breached and
    met ones stay as the record of what happened."""
    now = timezone.now()
    return _close(
        process=process,
        statuses=[Deadline.Status.OPEN],
        set_values={"status": Deadline.Status.CANCELLED, "cancelled_at": now},
        event_kind=DeadlineEvent.Kind.CANCELLED,
        at=now,
        by=by,
        note=note,
    )


@transaction.atomic
def deadlines_fast_forward(*, hours: float, deadlines) -> int:
    """Move open deadlines ``hours`` into the past, as if that much time had gone by.

    For the demo only (``manage.py demo_fast_forward``): the next sweep then takes the
    rungs that would have come due, so reminders and escalations show within minutes.
    """
    shift = dt.timedelta(hours=hours)
    count = 0
    for deadline in deadlines.select_for_update().filter(status=Deadline.Status.OPEN):
        deadline.due_at -= shift
        deadline.created_at -= shift
        if deadline.next_action_at is not None:
            deadline.next_action_at -= shift
        deadline.save(update_fields=["due_at", "created_at", "next_action_at"])
        count += 1
    return count


def heartbeat_record(
    *, name: str, at: dt.datetime, started_at: dt.datetime | None = None, duration_seconds=None
) -> None:
    """Overwrite the heartbeat row ``name`` (beat's tick, the last finished sweep).

    One statement (an upsert), so two beats or two sweeps writing at once never fail.
    """

    Heartbeat.objects.update_or_create(
        name=name,
        defaults={"at": at, "started_at": started_at, "duration_seconds": duration_seconds},
    )


def withdrawal_reason_clean(reason) -> str:
    """The reason a withdrawal (makulering) must give; none → a clear error."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the withdrawal."))
    return reason[:500]


def process_flow_cancel(*, process, flow, by, note: str, busy_message: str) -> None:
    """End a process through its flow: viewflow's own ``Flow.cancel`` cancels every
    open task and saves the process as CANCELED; every open deadline is cancelled
    (breached and met ones stay as the record of what happened). A process whose flow
    has already finished is only saved. Shared by withdrawal and by a revoked consent;
    the caller has locked the row and set the stage through its own transition."""
    if process.status in (PROCESS.DONE, PROCESS.CANCELED):
        process.save()
    else:
        try:
            flow.cancel(process)
        except (FlowRuntimeError, FlowLockFailed) as exc:
            raise ValidationError(busy_message) from exc
    deadlines_cancel_open(process=process, by=by, note=note)


def process_withdrawn_cancel(*, process, flow, reason: str, by, now, busy_message: str) -> None:
    """The part of a withdrawal every flow shares: who, when and why on the process,
    then the flow and its open deadlines cancelled (``process_flow_cancel``)."""
    process.withdrawn_at = now
    process.withdrawn_by = by
    process.withdrawal_reason = reason
    process_flow_cancel(
        process=process, flow=flow, by=by, note="withdrawn", busy_message=busy_message
    )
