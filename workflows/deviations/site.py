"""Where the deviation register is mounted in the viewflow Site."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from viewflow.urls import Application

from . import views


class DeviationsApp(Application):
    """Deviations (samverkansavvikelser) between organisations."""

    app_name = "deviations"
    title = _("Deviations")
    icon = "report"
    menu_template_name = "deviations/menu.html"

    deviation_list_path = path("", views.DeviationListView.as_view(), name="deviation_list")
    deviation_create_path = path(
        "ny/", views.DeviationCreateView.as_view(), name="deviation_create"
    )
    deviation_detail_path = path(
        "<int:pk>/", views.DeviationDetailView.as_view(), name="deviation_detail"
    )
    deviation_action_path = path(
        "<int:pk>/<slug:action>/", views.DeviationActionView.as_view(), name="deviation_action"
    )
    # The MAS dashboard moved to /oversikt/mas/ (oversight): old links still arrive.
    dashboard_path = path(
        "oversikt/",
        RedirectView.as_view(pattern_name="oversight:dashboard", query_string=True),
        name="dashboard_moved",
    )
    dashboard_cases_path = path(
        "oversikt/underlag/",
        RedirectView.as_view(pattern_name="oversight:dashboard_cases", query_string=True),
        name="dashboard_cases_moved",
    )

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (login redirect instead of a bare 403).
        return True
