"""The viewflow Material site: our own applications and the workflow inbox."""

from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from coordination.site import CoordinationApp
from workflows.routing import OrganisationWorkflowAppViewset

# Each flow registers one line here: FlowViewset(TheFlow, icon="...").
FLOW_VIEWSETS: list = []

site = Site(
    title=_("Kardborre"),
    viewsets=[
        CoordinationApp(),
        OrganisationWorkflowAppViewset(flow_viewsets=FLOW_VIEWSETS, title=_("Work")),
    ],
)
