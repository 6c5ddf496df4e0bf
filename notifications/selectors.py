"""Reads of the outbox, and who receives the daily digest."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from coordination import access
from coordination.models import Membership

from .models import NotificationPreference, OutboundEmail


def emails_for_process(*, process) -> QuerySet[OutboundEmail]:
    """Every email about one case (a viewflow Process or a subclass instance), newest first."""
    return OutboundEmail.objects.filter(process_id=process.pk).order_by("-created_at", "-pk")


def user_is_outbox_admin(*, user) -> bool:
    """Administrators see every row and may send again: staff or an ADMIN membership."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.ADMIN, is_active=True).exists()


def outbox_visible_to(*, user, status: str = "", recipient: str = "") -> QuerySet[OutboundEmail]:
    """The outbox page: all rows for administrators, otherwise rows addressed to the
    user or to one of their organisations."""
    qs = OutboundEmail.objects.select_related("organisation", "deadline")
    if not user_is_outbox_admin(user=user):
        mine = Q(organisation__in=access.acting_organisations(user=user))
        if user.email:
            mine |= Q(to__iexact=user.email)
        qs = qs.filter(mine)
    if status:
        qs = qs.filter(status=status)
    if recipient:
        qs = qs.filter(to__icontains=recipient.strip())
    return qs.order_by("-created_at", "-pk")


def digest_recipients() -> QuerySet:
    """Active users with an email address and an active membership who did not opt out."""
    opted_out = NotificationPreference.objects.filter(daily_digest=False).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__is_active=True)
        .exclude(email="")
        .exclude(pk__in=opted_out)
        .distinct()
        .order_by("pk")
    )


def user_wants_digest(*, user) -> bool:
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.daily_digest if preference else True


def outbox_backlog(*, now=None) -> dict:
    """Counts per status, rows not yet sent (``backlog``), rows retrying after a failed
    attempt, and the age in seconds of the oldest unsent row (None: nothing waits).

    Served by the (status, created_at) index; read by /health/ready and /metrics.
    """
    now = now or timezone.now()
    waiting = [OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING]
    by_status = dict.fromkeys(OutboundEmail.Status.values, 0)
    for row in OutboundEmail.objects.values("status").annotate(n=Count("pk")).order_by():
        by_status[row["status"]] = row["n"]
    oldest = OutboundEmail.objects.filter(status__in=waiting).aggregate(m=Min("created_at"))["m"]
    return {
        "by_status": by_status,
        "backlog": sum(by_status[status] for status in waiting),
        "failed": by_status[OutboundEmail.Status.FAILED],
        "retrying": OutboundEmail.objects.filter(
            status=OutboundEmail.Status.PENDING, attempts__gt=0
        ).count(),
        "oldest_pending_age": None if oldest is None else max((now - oldest).total_seconds(), 0),
    }
