"""Pages of the discharge app inside the viewflow Site, and the flow's viewset with
every list scoped by ``discharges_visible_to`` (viewflow's own lists would show every
process and task of the flow to anyone who may open the flow)."""

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from viewflow.urls import Application
from viewflow.workflow.flow import FlowViewset
from viewflow.workflow.flow import views as flow_views

from . import selectors, views


class ScopedProcessListView(flow_views.DashboardProcessListView):
    def get_queryset(self):
        visible = selectors.discharges_visible_to(user=self.request.user).values("pk")
        # Meta.ordering is dropped by the view's GROUP BY annotation.
        return super().get_queryset().filter(pk__in=visible).order_by("-admitted_at", "-pk")


class ScopedTaskListView(flow_views.DashboardTaskListView):
    def get_queryset(self):
        visible = selectors.discharges_visible_to(user=self.request.user).values("pk")
        return super().get_queryset().filter(process_id__in=visible)


class ScopedChartView(flow_views.FlowChartView):
    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None and not (
            selectors.discharges_visible_to(user=request.user).filter(pk=process_pk).exists()
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DischargeDashboardView(RedirectView):
    """viewflow's kanban lists every task of the flow; our list page is scoped."""

    url = reverse_lazy("utskrivning:case_list")


class DischargeFlowViewset(FlowViewset):
    dashboard_view_class = DischargeDashboardView
    process_list_view_class = ScopedProcessListView
    task_list_view_class = ScopedTaskListView
    chart_view_class = ScopedChartView


class DischargeApp(Application):
    """Discharges (LUS): the list of the user's cases and the case pages."""

    app_name = "utskrivning"
    title = _("Discharges")
    icon = "local_hospital"
    menu_template_name = "discharge/menu.html"

    case_list_path = path("", views.DischargeListView.as_view(), name="case_list")
    case_detail_path = path("<int:pk>/", views.DischargeDetailView.as_view(), name="case_detail")
    estimated_date_path = path(
        "<int:pk>/berakat-utskrivningsdatum/",
        views.EstimatedDateChangeView.as_view(),
        name="estimated_date_change",
    )

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (see coordination.site).
        return True
