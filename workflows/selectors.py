"""Reads across every flow: ``processes_visible_to`` is the one access rule
(``coordination.access``) over viewflow's ``Process``."""

from django.db.models import Count, Q, QuerySet
from viewflow.workflow.models import Process

from coordination import access

from .models import Deadline, Heartbeat


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
