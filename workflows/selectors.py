"""Reads across every flow: ``processes_visible_to`` is the one access rule
(``coordination.access``) over viewflow's ``Process``."""

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Process

from coordination import access, clock

from .links import case_url
from .models import Deadline, DeadlineEvent, Heartbeat


def processes_visible_to(*, user) -> QuerySet[Process]:
    """Every process (of any flow) the user may see, as viewflow ``Process`` rows."""
    return access.processes_visible_to(user=user, model=Process)


def heartbeats(*, now) -> dict:
    """Age in seconds (None: never seen) and row of each heartbeat, by name."""
    rows = {row.name: row for row in Heartbeat.objects.all()}
    return {
        name: {
            "row": rows.get(name),
            "age": (now - rows[name].at).total_seconds() if name in rows else None,
        }
        for name in Heartbeat.Name.values
    }


def deadline_counts_by_kind(*, now) -> dict[str, tuple[int, int]]:
    """(open, overdue) deadlines per kind, for the metrics."""
    rows = (
        Deadline.objects.filter(status=Deadline.Status.OPEN)
        .values("kind")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by()
    )
    return {row["kind"]: (row["open"], row["overdue"]) for row in rows}


def open_deadlines_for_process(*, process):
    """The case's open deadlines with a rung still to come, soonest first."""
    return (
        Deadline.objects.filter(
            process_id=process.pk, status=Deadline.Status.OPEN, next_action_at__isnull=False
        )
        .select_related("responsible_organisation")
        .order_by("next_action_at", "pk")
    )


def deadline_events_for_process(*, process):
    """Reminders, escalations and breaches recorded on the case's deadlines."""
    return (
        DeadlineEvent.objects.filter(
            deadline__process_id=process.pk,
            kind__in=[
                DeadlineEvent.Kind.REMINDED,
                DeadlineEvent.Kind.ESCALATED,
                DeadlineEvent.Kind.BREACHED,
            ],
        )
        .select_related("deadline", "deadline__responsible_organisation")
        .order_by("-at", "-pk")
    )


DIGEST_MAX_ITEMS = 50


def digest_for_user(*, user, now: dt.datetime | None = None) -> dict:
    """What is overdue and what falls due today (Stockholm) for the user's organisations.

    Only kinds, times and links: no names, no health data.
    """
    now = now or timezone.now()
    end_of_today = clock.end_of_local_day(clock.local_date(now))
    open_deadlines = (
        Deadline.objects.filter(status=Deadline.Status.OPEN, due_at__lte=end_of_today)
        .filter(
            Q(responsible_organisation__in=access.acting_organisations(user=user))
            | Q(responsible_user=user)
        )
        .select_related("process", "responsible_organisation")
        .order_by("due_at", "pk")
    )

    def items(qs):
        return [
            {
                "kind": deadline.kind,
                "kind_label": deadline.kind_label,
                "due_at": deadline.due_at,
                "organisation": deadline.responsible_organisation.name,
                "case_url": case_url(deadline.process),
            }
            for deadline in qs[:DIGEST_MAX_ITEMS]
        ]

    overdue_qs = open_deadlines.filter(due_at__lt=now)
    today_qs = open_deadlines.filter(due_at__gte=now)
    return {
        "overdue": items(overdue_qs),
        "overdue_count": overdue_qs.count(),
        "due_today": items(today_qs),
        "due_today_count": today_qs.count(),
    }
