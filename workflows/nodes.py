"""viewflow nodes as our flows use them: the If gate's two edges labelled in the site
language (viewflow writes "yes"/"no" in English on the flow graph)."""

from django.utils.translation import gettext_lazy as _
from viewflow.workflow import flow
from viewflow.workflow.base import Edge

EDGE_LABELS = {"cond_true": _("yes"), "cond_false": _("no")}


class If(flow.If):
    def _outgoing(self):
        for edge in super()._outgoing():
            label = EDGE_LABELS.get(edge.edge_class)
            if label is None:
                yield edge
            else:
                yield Edge(src=edge.src, dst=edge.dst, edge_class=edge.edge_class, label=label)
