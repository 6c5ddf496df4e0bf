"""The viewflow Material site: our own applications and the workflow inbox."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from coordination.site import CoordinationApp
from notifications.site import NotificationsApp
from oversight.site import OversightApp
from workflows.deviations.site import DeviationsApp
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.site import DischargeApp
from workflows.routing import OrganisationScopedFlowViewset, OrganisationWorkflowAppViewset
from workflows.sip.flows import SipFlow
from workflows.sip.site import SipApp
from workflows.startpage import StartPageView

# Each flow registers here; its viewflow pages are scoped to the organisations taking part.
FLOW_VIEWSETS: list = [
    OrganisationScopedFlowViewset(SipFlow, icon="diversity_3", case_list_url="sips:sip_list"),
    OrganisationScopedFlowViewset(
        DischargeFlow, icon="local_hospital", case_list_url="utskrivning:case_list"
    ),
]

site = Site(
    title=_("Kardborre"),
    # The start page "Mina ärenden" inside the site, so that it has the site's menu.
    urlpatterns=[path("", StartPageView.as_view(), name="home")],
    viewsets=[
        CoordinationApp(),
        DeviationsApp(),
        NotificationsApp(),
        SipApp(),
        DischargeApp(),
        OversightApp(),
        OrganisationWorkflowAppViewset(flow_viewsets=FLOW_VIEWSETS, title=_("Work")),
    ],
)
