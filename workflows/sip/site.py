"""Where SIP pages are mounted in the viewflow Site.

``SipApp`` holds our own pages (list, overview, print, invitation actions).
``SipFlowViewset`` is the flow's viewset with every list scoped by ``sips_visible_to``:
viewflow's own process list, task list, dashboard and process chart would otherwise
show every SIP to any logged-in user.
"""

from django.http import Http404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from viewflow.urls import Application
from viewflow.workflow.flow import FlowViewset
from viewflow.workflow.flow.views import chart as chart_views
from viewflow.workflow.flow.views import dashboard as dashboard_views

from . import views
from .selectors import sips_visible_to


class SipDashboardRedirect(RedirectView):
    """The flow's kanban board lists tasks of every SIP; our list is scoped instead."""

    flow_class = None
    viewset = None

    def get_redirect_url(self, *args, **kwargs):
        return reverse("sips:sip_list")


class ScopedProcessListView(dashboard_views.DashboardProcessListView):
    def get_queryset(self):
        visible = sips_visible_to(user=self.request.user).values("pk")
        return super().get_queryset().filter(pk__in=visible).order_by("-created", "-pk")


class ScopedTaskListView(dashboard_views.DashboardTaskListView):
    def get_queryset(self):
        visible = sips_visible_to(user=self.request.user).values("pk")
        return super().get_queryset().filter(process__in=visible).order_by("-created", "-pk")


class ScopedChartView(chart_views.FlowChartView):
    def get(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if (
            process_pk is not None
            and not sips_visible_to(user=request.user).filter(pk=process_pk).exists()
        ):
            raise Http404
        return super().get(request, *args, **kwargs)


class SipFlowViewset(FlowViewset):
    dashboard_view_class = SipDashboardRedirect
    process_list_view_class = ScopedProcessListView
    task_list_view_class = ScopedTaskListView
    chart_view_class = ScopedChartView


class SipApp(Application):
    """The user's SIPs and each SIP's overview."""

    app_name = "sips"
    title = _("SIP")
    icon = "diversity_3"
    menu_template_name = "sip/menu.html"

    sip_list_path = path("", views.SipListView.as_view(), name="sip_list")
    sip_detail_path = path("<int:pk>/", views.SipDetailView.as_view(), name="sip_detail")
    plan_print_path = path(
        "<int:pk>/plan/<int:number>/utskrift/", views.PlanPrintView.as_view(), name="plan_print"
    )
    invitation_state_path = path(
        "<int:pk>/kallelser/<int:invitation_pk>/status/",
        views.InvitationStateView.as_view(),
        name="invitation_state",
    )
    second_channel_path = path(
        "<int:pk>/kallelser/<int:invitation_pk>/andra-kanal/",
        views.SecondChannelView.as_view(),
        name="second_channel",
    )
    revoke_consent_path = path(
        "<int:pk>/samtycke/aterkalla/", views.RevokeConsentView.as_view(), name="revoke_consent"
    )

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (login redirect instead of a bare 403).
        return True
