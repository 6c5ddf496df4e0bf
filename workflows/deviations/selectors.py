"""Reads of the deviation register. ``deviations_visible_to`` is the one access rule,
used by the register list, the deviation page, every CSV export and the dashboard."""

import datetime as dt

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Process

from coordination import access, clock
from coordination.models import Organisation
from coordination.selectors import user_organisations
from workflows.deviations.models import Deviation

NOT_SENT = [Deviation.Status.DRAFT, Deviation.Status.DISMISSED]


def deviations_visible_to(*, user) -> QuerySet[Deviation]:
    """The deviations a user may read: the one access rule (``coordination.access``);
    the receiving side sees a deviation once it has been sent."""
    return access.reports_visible_to(
        user=user, queryset=Deviation.objects.all(), sent=~Q(status__in=NOT_SENT)
    )


def deviations_search(
    *,
    user,
    query: str = "",
    status: str = "",
    category: str = "",
    organisation: Organisation | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    overdue_on: dt.date | None = None,
    process_id: int | None = None,
    ids=None,
) -> QuerySet[Deviation]:
    """The register list: free text over number, description and organisation names;
    the period is when the deviation occurred (local dates, both ends included)."""

    qs = deviations_visible_to(user=user).select_related(
        "reporting_organisation", "receiving_organisation"
    )
    for word in query.split():
        condition = (
            Q(description__icontains=word)
            | Q(reporting_organisation__name__icontains=word)
            | Q(receiving_organisation__name__icontains=word)
        )
        if word.lstrip("#").isdigit():
            number = int(word.lstrip("#"))
            condition |= Q(pk=number) | Q(process_id=number)
        qs = qs.filter(condition)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if organisation is not None:
        qs = qs.filter(
            Q(reporting_organisation=organisation) | Q(receiving_organisation=organisation)
        )
    if date_from:
        qs = qs.filter(occurred_at__gte=clock.start_of_local_day(date_from))
    if date_to:
        qs = qs.filter(occurred_at__lte=clock.end_of_local_day(date_to))
    if overdue_on:
        qs = qs.filter(
            status__in=[Deviation.Status.REPORTED, Deviation.Status.REOPENED],
            answer_due_date__lt=overdue_on,
        )
    if process_id:
        qs = qs.filter(process_id=process_id)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.order_by("-occurred_at", "-pk")


def deviation_history(*, deviation):
    return deviation.events.select_related("by", "organisation").order_by("at", "pk")


# --- The case a deviation concerns ---------------------------------------------------


def concrete_process(process):
    """The flow's own process model instance (DischargeProcess, SipProcess…) or the
    plain viewflow Process when the flow is unknown."""
    if process is None:
        return None
    flow_class = getattr(process, "flow_class", None)
    if isinstance(flow_class, type):
        process_class = flow_class.process_class
        if isinstance(process, process_class):
            return process
        found = process_class._default_manager.filter(pk=process.pk).first()
        if found is not None:
            return found
    return process


def process_participants(process) -> list[Organisation]:
    """The organisations taking part in a case: the concrete model's
    ``participating_organisations()``, else those its deadlines name."""
    concrete = concrete_process(process)
    method = getattr(concrete, "participating_organisations", None)
    if method is not None:
        return list(method())
    return list(
        Organisation.objects.filter(deadlines__process_id=process.pk)
        .select_related("area", "area__parent")
        .distinct()
    )


def process_for_user(*, user, process_id) -> tuple[Process | None, list[Organisation]]:
    """The case and the user's organisations among its participants, if any."""
    process = access.processes_visible_to(user=user).filter(pk=process_id).first()
    if process is None:
        return None, []
    mine = set(user_organisations(user=user).values_list("pk", flat=True))
    participants = process_participants(process)
    return process, [org for org in participants if org.pk in mine]
