"""The viewflow Material site: our own applications and the workflow inbox."""

from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site
from viewflow.workflow.flow import WorkflowAppViewset

from coordination.site import CoordinationApp

# Flow viewsets register here (see workflows/site.py).
FLOW_VIEWSETS: list = []

site = Site(
    title=_("Kardborre"),
    viewsets=[
        CoordinationApp(),
        WorkflowAppViewset(flow_viewsets=FLOW_VIEWSETS, title=_("Work")),
    ],
)
