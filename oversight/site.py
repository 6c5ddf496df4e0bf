"""Where the MAS dashboard, payment responsibility and the national indicators are
mounted (/oversikt/)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import dashboard_views, views


class OversightApp(Application):
    """Invoice basis, disputes, amounts per day and the SKR indicators."""

    app_name = "oversikt"
    namespace = "oversight"
    title = _("Follow-up")
    icon = "query_stats"
    menu_template_name = "oversight/menu.html"

    dashboard_path = path("mas/", dashboard_views.DashboardView.as_view(), name="dashboard")
    dashboard_cases_path = path(
        "mas/underlag/", dashboard_views.DashboardCasesView.as_view(), name="dashboard_cases"
    )
    invoice_basis_path = path(
        "betalningsansvar/", views.InvoiceBasisView.as_view(), name="invoice_basis"
    )
    invoice_episodes_path = path(
        "betalningsansvar/underlag/", views.InvoiceEpisodesView.as_view(), name="invoice_episodes"
    )
    dispute_open_path = path(
        "betalningsansvar/bestrid/", views.DisputeOpenView.as_view(), name="dispute_open"
    )
    dispute_resolve_path = path(
        "betalningsansvar/bestridande/", views.DisputeResolveView.as_view(), name="dispute_resolve"
    )
    rates_path = path("belopp/", views.RatesView.as_view(), name="rates")
    region_path = path("region/", views.RegionOverviewView.as_view(), name="region")
    indicators_path = path("indikatorer/", views.IndicatorsView.as_view(), name="indicators")

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (see coordination.site).
        return True
