"""The viewflow Material site: our own applications and the workflow inbox."""

from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from coordination.deviations.site import DeviationsApp
from coordination.site import CoordinationApp
from notifications.site import NotificationsApp
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.site import DischargeApp, DischargeFlowViewset
from workflows.routing import OrganisationWorkflowAppViewset
from workflows.sip.flows import SipFlow
from workflows.sip.site import SipApp, SipFlowViewset

# Each flow registers one line here: FlowViewset(TheFlow, icon="...").
FLOW_VIEWSETS: list = [
    SipFlowViewset(SipFlow, icon="diversity_3"),
    DischargeFlowViewset(DischargeFlow, icon="local_hospital"),
]

site = Site(
    title=_("Kardborre"),
    viewsets=[
        CoordinationApp(),
        DeviationsApp(),
        NotificationsApp(),
        SipApp(),
        DischargeApp(),
        OrganisationWorkflowAppViewset(flow_viewsets=FLOW_VIEWSETS, title=_("Work")),
    ],
)
