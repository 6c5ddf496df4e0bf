"""Where SIP pages are mounted in the viewflow Site.

``SipApp`` holds our own pages (list, overview, print, invitation actions).
The flow's own viewflow pages (process list, task list, dashboard, chart) are scoped
by ``workflows.routing.OrganisationScopedFlowViewset`` (config/site.py).
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


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

    plan_approve_path = path(
        "<int:pk>/plan/<int:number>/godkann/",
        views.PlanApproveView.as_view(),
        name="plan_approve",
    )
    follow_up_meeting_path = path(
        "<int:pk>/uppfoljningsmote/",
        views.FollowUpMeetingView.as_view(),
        name="follow_up_meeting",
    )
    renew_consent_path = path(
        "<int:pk>/samtycke/eget/", views.RenewConsentView.as_view(), name="renew_consent"
    )
    withdraw_path = path("<int:pk>/makulera/", views.SipWithdrawView.as_view(), name="withdraw")

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (login redirect instead of a bare 403).
        return True
