from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class CoordinationApp(Application):
    """Registry pages: the organisation directory."""

    app_name = "coordination"
    title = _("Coordination")
    icon = "hub"
    menu_template_name = "coordination/menu.html"

    organisation_list_path = path(
        "organisationer/", views.OrganisationListView.as_view(), name="organisation_list"
    )
    organisation_detail_path = path(
        "organisationer/<int:pk>/",
        views.OrganisationDetailView.as_view(),
        name="organisation_detail",
    )

    escalation_chain_path = path(
        "organisationer/<int:pk>/eskaleringskedja/",
        views.EscalationChainView.as_view(),
        name="escalation_chain",
    )
    individual_register_path = path(
        "personer/", views.IndividualRegisterView.as_view(), name="individual_register"
    )
    organisation_search_path = path(
        "organisationer/sok/", views.OrganisationSearchView.as_view(), name="organisation_search"
    )

    access_log_path = path("atkomstlogg/", views.AccessLogView.as_view(), name="access_log")

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself, so an anonymous user is sent to the
        # login page instead of a bare 403 from viewflow's SiteMiddleware.
        return True
