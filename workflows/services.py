"""The only writers of Deadline rows. Flow nodes call these; views never do."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
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
    deadline = Deadline.objects.create(
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
    DeadlineEvent.objects.create(deadline=deadline, kind=DeadlineEvent.Kind.OPENED, at=now, by=by)
    return deadline


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


def _matching(*, process, kind, subject_key, responsible_organisation, statuses):
    qs = Deadline.objects.select_for_update().filter(
        process=process, kind=kind, status__in=statuses
    )
    if subject_key is not None:
        qs = qs.filter(subject_key=subject_key)
    if responsible_organisation is not None:
        qs = qs.filter(responsible_organisation=responsible_organisation)
    return qs


@transaction.atomic(savepoint=False)
def deadline_meet(
    *, process, kind, subject_key="", responsible_organisation=None, by=None, at=None
) -> list[Deadline]:
    """Mark the open (or already breached) obligation met; the ladder stops at once."""
    at = at or timezone.now()
    met = []
    for deadline in _matching(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        statuses=[Deadline.Status.OPEN, Deadline.Status.BREACHED],
    ):
        deadline.status = Deadline.Status.MET
        deadline.met_at = at
        deadline.met_by = by
        deadline.next_action_at = None
        deadline.save(update_fields=["status", "met_at", "met_by", "next_action_at"])
        DeadlineEvent.objects.create(deadline=deadline, kind=DeadlineEvent.Kind.MET, at=at, by=by)
        met.append(deadline)
    return met


@transaction.atomic(savepoint=False)
def deadline_cancel(
    *, process, kind, subject_key="", responsible_organisation=None, by=None, note=""
) -> list[Deadline]:
    """Cancel the open obligation (no longer owed, or replaced by a new one)."""
    now = timezone.now()
    cancelled = []
    for deadline in _matching(
        process=process,
        kind=kind,
        subject_key=subject_key,
        responsible_organisation=responsible_organisation,
        statuses=[Deadline.Status.OPEN, Deadline.Status.BREACHED],
    ):
        deadline.status = Deadline.Status.CANCELLED
        deadline.cancelled_at = now
        deadline.next_action_at = None
        deadline.save(update_fields=["status", "cancelled_at", "next_action_at"])
        DeadlineEvent.objects.create(
            deadline=deadline, kind=DeadlineEvent.Kind.CANCELLED, at=now, by=by, note=note
        )
        cancelled.append(deadline)
    return cancelled


@transaction.atomic(savepoint=False)
def deadlines_cancel_open(*, process, by=None, note="") -> list[Deadline]:
    """Cancel every open obligation of a process (it was withdrawn); breached and
    met ones stay as the record of what happened."""
    now = timezone.now()
    cancelled = []
    for deadline in Deadline.objects.select_for_update().filter(
        process=process, status=Deadline.Status.OPEN
    ):
        deadline.status = Deadline.Status.CANCELLED
        deadline.cancelled_at = now
        deadline.next_action_at = None
        deadline.save(update_fields=["status", "cancelled_at", "next_action_at"])
        DeadlineEvent.objects.create(
            deadline=deadline, kind=DeadlineEvent.Kind.CANCELLED, at=now, by=by, note=note
        )
        cancelled.append(deadline)
    return cancelled


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
