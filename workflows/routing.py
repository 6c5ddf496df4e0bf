"""Routing of workflow tasks to organisations, and row-scoped inbox/queue/archive.

Every human task of our flows is declared with
``.Permission(ACT_FOR_ORGANISATION, obj=<callable(process) -> Organisation>)``; the queue
then shows a task only to active members of that organisation. viewflow's own queue
would show a task to anyone holding its permission model-wide and its process pages to
anyone with the flow's view permission, so both are replaced here.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import RedirectView
from django_filters import ChoiceFilter, DateRangeFilter, FilterSet
from viewflow.utils import viewprop
from viewflow.workflow import flow
from viewflow.workflow.flow import FlowViewset
from viewflow.workflow.flow import views as flow_views
from viewflow.workflow.flow.views import list as list_views
from viewflow.workflow.flow.views.filters import get_queryset_flow_task_choices
from viewflow.workflow.flow.viewset import WorkflowAppViewset
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from coordination import access
from coordination.backends import ACT_FOR_ORGANISATION, OrganisationMembershipBackend
from coordination.models import Organisation
from coordination.selectors import user_organisations


class OrganisationScopedFlow(flow.Flow):
    """Base of our flows: a process is visible only to the organisations taking part.

    ``visible_processes`` is the one access rule (``coordination.access``) over the
    flow's process class. A case the user may not see is "not found" (404), never a
    hint that it exists.
    """

    def visible_processes(self, *, user):
        return access.processes_visible_to(user=user, model=self.process_class)

    def may_withdraw(self, *, user, process) -> bool:
        """Whether ``user`` may withdraw (makulera) ``process``; subclasses decide."""
        return False

    def withdraw_url(self, process) -> str:
        """Our withdrawal page, which asks for the reason and cancels the flow."""
        return ""

    def has_view_permission(self, user, obj=None):
        if not user.is_authenticated:
            return False
        if obj is None:
            # May open the flow's pages at all; every list is filtered by the selector.
            return True
        process = getattr(obj, "process", obj)
        if not self.visible_processes(user=user).filter(pk=process.pk).exists():
            raise Http404
        return True

    def has_manage_permission(self, user, obj=None):
        """Cancelling, undoing and reviving steps or whole cases through viewflow's
        generic actions: only on a case the user may see. viewflow asks without a case
        for task actions; then nobody (a superuser without membership included) may.
        """
        if obj is None or not user.is_authenticated:
            return False
        return super().has_manage_permission(user, obj) and self.has_view_permission(user, obj)


class OrganisationTask(flow.View):
    """A human task taken only by members of the organisation it is routed to.

    viewflow's ``can_assign`` also accepts the permission held model-wide, which every
    superuser has: a superuser without membership could take any organisation's task.
    """

    def can_assign(self, user, task):
        if task.owner_id or user is None or not user.is_authenticated:
            return False
        if task.owner_permission != ACT_FOR_ORGANISATION or not self._owner_permission_obj:
            return super().can_assign(user, task)
        # The organisation the task was routed to (a flow may route tasks of one node
        # to different organisations, e.g. one per unit); else the node's rule.
        obj = task.owner_permission_obj if task.owner_permission_obj_pk else None
        if obj is None:
            obj = self._owner_permission_obj
            if callable(obj):
                obj = obj(task.process)
        return OrganisationMembershipBackend().has_perm(user, ACT_FOR_ORGANISATION, obj)


#: What a task row shows: its case as the concrete process (``coerced`` follows the
#: one-to-one link in the same query) with what the case summaries name.
TASK_ROW_RELATED = (
    "process",
    "process__dischargeprocess__individual",
    "process__dischargeprocess__ward",
    "process__sipprocess",
)


def tasks_queue_of(*, user, flow_classes):
    """Unassigned human tasks routed to one of the user's organisations."""
    org_pks = [str(pk) for pk in user_organisations(user=user).values_list("pk", flat=True)]
    return (
        Task.objects.filter(
            process__flow_class__in=flow_classes,
            flow_task_type="HUMAN",
            status=STATUS.NEW,
            owner_permission=ACT_FOR_ORGANISATION,
            owner_permission_content_type=ContentType.objects.get_for_model(Organisation),
            owner_permission_obj_pk__in=org_pks,
        )
        .select_related(*TASK_ROW_RELATED)
        .order_by("-created")
    )


class _TaskColumns:
    """Columns viewflow derives from attribute names (untranslatable "Brief", "Created"),
    given Swedish headers and dates like "23 nov 2026 14:05"."""

    def brief(self, task):
        return task.brief

    brief.short_description = pgettext_lazy("task list", "Summary")

    def process_brief(self, task):
        # Our case page, not viewflow's process detail.
        process = task.process.coerced
        url = process.get_absolute_url() if hasattr(process, "get_absolute_url") else ""
        return format_html('<a href="{}">{}</a>', url, process.brief) if url else process.brief

    process_brief.short_description = pgettext_lazy("task list", "Case")

    def created(self, task):
        return formats.date_format(timezone.localtime(task.created), "j b Y H:i")

    created.short_description = _("Created")

    def finished(self, task):
        if task.finished is None:
            return ""
        return formats.date_format(timezone.localtime(task.finished), "j b Y H:i")

    finished.short_description = _("Finished")


class TaskListFilter(FilterSet):
    """viewflow's queue and inbox filter without its case drop-down, which put every case
    of the list in an <option> (10,000 on a busy ward) on every page view; the case
    column links each case instead."""

    flow_task = ChoiceFilter()
    created = DateRangeFilter()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["flow_task"].field.choices = get_queryset_flow_task_choices(self.queryset)

    class Meta:
        model = Task
        fields = ("flow_task", "created")


class OrganisationQueueView(_TaskColumns, list_views.WorkflowQueueListView):
    filterset_class = TaskListFilter

    @viewprop
    def queryset(self):
        return tasks_queue_of(user=self.request.user, flow_classes=self.flow_classes)


class OrganisationInboxView(_TaskColumns, list_views.WorkflowInboxListView):
    filterset_class = TaskListFilter

    @viewprop
    def queryset(self):
        # Assigned to the user; a user who left the organisation keeps nothing.
        queue_orgs = [
            str(pk)
            for pk in user_organisations(user=self.request.user).values_list("pk", flat=True)
        ]
        return (
            Task.objects.filter(
                process__flow_class__in=self.flow_classes,
                owner=self.request.user,
                status=STATUS.ASSIGNED,
                owner_permission_obj_pk__in=queue_orgs,
            )
            .select_related(*TASK_ROW_RELATED)
            .order_by("-created")
        )


class OrganisationArchiveView(_TaskColumns, list_views.WorkflowArchiveListView):
    """The user's own finished tasks (viewflow's query), with Swedish columns."""


class OrganisationWorkflowAppViewset(WorkflowAppViewset):
    """The inbox/queue/archive app with organisation-scoped lists."""

    inbox_view_class = OrganisationInboxView
    queue_view_class = OrganisationQueueView
    archive_view_class = OrganisationArchiveView


class _ScopedProcessListView(flow_views.DashboardProcessListView):
    def get_queryset(self):
        visible = self.flow_class.instance.visible_processes(user=self.request.user)
        # Meta.ordering is dropped by the view's GROUP BY annotation.
        return (
            super().get_queryset().filter(pk__in=visible.values("pk")).order_by("-created", "-pk")
        )


class _ScopedTaskListView(flow_views.DashboardTaskListView):
    def get_queryset(self):
        visible = self.flow_class.instance.visible_processes(user=self.request.user)
        return (
            super()
            .get_queryset()
            .filter(process_id__in=visible.values("pk"))
            .order_by("-created", "-pk")
        )


class _ScopedChartView(flow_views.FlowChartView):
    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None and not (
            self.flow_class.instance.visible_processes(user=request.user)
            .filter(pk=process_pk)
            .exists()
        ):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class _ScopedProcessDetailView(flow_views.DetailProcessView):
    """viewflow's process page, with its Cancel button shown only to those who may
    withdraw the case, and pointing to the withdrawal page."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        flow = self.flow_class.instance
        process = self.object.coerced
        context["may_withdraw"] = flow.may_withdraw(user=self.request.user, process=process)
        context["withdraw_url"] = flow.withdraw_url(process) if context["may_withdraw"] else ""
        return context


class _WithdrawInsteadOfCancel(RedirectView):
    """viewflow's generic "cancel process" goes to our withdrawal (makulering), which
    asks for a reason, tells the parties and then calls ``Flow.cancel``. A case the
    user may not see is a 404; one they may see but not withdraw is a 403."""

    flow_class = None
    viewset = None

    def get_redirect_url(self, *args, **kwargs):
        flow = self.flow_class.instance
        process = (
            flow.visible_processes(user=self.request.user).filter(pk=kwargs["process_pk"]).first()
        )
        if process is None:
            raise Http404
        if not flow.may_withdraw(user=self.request.user, process=process):
            raise PermissionDenied
        return flow.withdraw_url(process)


class _CaseListRedirect(RedirectView):
    """viewflow's kanban board lists the tasks of every process of the flow; send the
    user to the flow's own scoped list instead."""

    flow_class = None
    viewset = None
    pattern_name = None


class OrganisationScopedFlowViewset(FlowViewset):
    """A flow's viewflow pages (process list, task list, chart, dashboard) with every
    list scoped by the flow's ``visible_processes`` selector.

    ``case_list_url``: the URL name of the flow's own list page, where the dashboard
    redirects.
    """

    process_list_view_class = _ScopedProcessListView
    process_detail_view_class = _ScopedProcessDetailView
    process_cancel_view_class = _WithdrawInsteadOfCancel
    task_list_view_class = _ScopedTaskListView
    chart_view_class = _ScopedChartView
    dashboard_view_class = _CaseListRedirect

    def __init__(self, flow_class, *, case_list_url, **kwargs):
        super().__init__(flow_class, **kwargs)
        self.case_list_url = case_list_url

    def get_dashboard_view_kwargs(self, **kwargs):
        return super().get_dashboard_view_kwargs(pattern_name=self.case_list_url, **kwargs)
