"""Reads across every flow. ``processes_visible_to`` is the union of the per-flow rules
(``discharges_visible_to``, ``sips_visible_to``); a new flow adds its selector here."""

from django.db.models import QuerySet
from viewflow.workflow.models import Process

from workflows.discharge.selectors import discharges_visible_to
from workflows.sip.selectors import sips_visible_to


def processes_visible_to(*, user) -> QuerySet[Process]:
    """Every process (of any flow) the user may see, as viewflow ``Process`` rows."""
    if not user.is_authenticated or not user.is_active:
        return Process.objects.none()
    discharge_pks = discharges_visible_to(user=user).values("pk")
    sip_pks = sips_visible_to(user=user).values("pk")
    return Process.objects.filter(pk__in=discharge_pks) | Process.objects.filter(pk__in=sip_pks)


def heartbeats(*, now) -> dict:
    """Age in seconds (None: never seen) and row of each heartbeat, by name."""
    from .models import Heartbeat

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
    from django.db.models import Count, Q

    from .models import Deadline

    rows = (
        Deadline.objects.filter(status=Deadline.Status.OPEN)
        .values("kind")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by()
    )
    return {row["kind"]: (row["open"], row["overdue"]) for row in rows}
