"""Routing of workflow tasks to organisations, and row-scoped inbox/queue/archive.

Every human task of our flows is declared with
``.Permission(ACT_FOR_ORGANISATION, obj=<callable(process) -> Organisation>)``; the queue
then shows a task only to active members of that organisation. viewflow's own queue
would show a task to anyone holding its permission model-wide and its process pages to
anyone with the flow's view permission, so both are replaced here.
"""

from django.contrib.contenttypes.models import ContentType
from viewflow.utils import viewprop
from viewflow.workflow import flow
from viewflow.workflow.flow.views import list as list_views
from viewflow.workflow.flow.viewset import WorkflowAppViewset
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from coordination.backends import ACT_FOR_ORGANISATION
from coordination.models import Organisation
from coordination.selectors import user_organisations


class OrganisationScopedFlow(flow.Flow):
    """Base of our flows: a process is visible only to the organisations taking part.

    Subclasses implement ``visible_processes(*, user)`` with their selector.
    """

    def visible_processes(self, *, user):
        return self.process_class._default_manager.none()

    def has_view_permission(self, user, obj=None):
        if not user.is_authenticated:
            return False
        if obj is None:
            # May open the flow's pages at all; every list is filtered by the selector.
            return True
        process = getattr(obj, "process", obj)
        return self.visible_processes(user=user).filter(pk=process.pk).exists()


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
        .select_related("process")
        .order_by("-created")
    )


class OrganisationQueueView(list_views.WorkflowQueueListView):
    @viewprop
    def queryset(self):
        return tasks_queue_of(user=self.request.user, flow_classes=self.flow_classes)


class OrganisationInboxView(list_views.WorkflowInboxListView):
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
            .select_related("process")
            .order_by("-created")
        )


class OrganisationWorkflowAppViewset(WorkflowAppViewset):
    """The inbox/queue/archive app with organisation-scoped lists."""

    inbox_view_class = OrganisationInboxView
    queue_view_class = OrganisationQueueView
