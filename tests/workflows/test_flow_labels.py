"""Every node of both flows carries a title, and the flow graph speaks Swedish: no
viewflow default like "Route Judgement" or an English "yes"/"no" on a gate's edges."""

import pytest
from django.utils import translation

from workflows.discharge.flows import DischargeFlow
from workflows.sip.flows import SipFlow


@pytest.mark.parametrize("flow_class", [DischargeFlow, SipFlow])
def test_every_node_has_a_swedish_title_and_gates_say_ja_nej(flow_class):
    with translation.override("sv"):
        for node in flow_class.instance.nodes():
            title = str(getattr(node, "task_title", "") or "")
            assert title, f"{flow_class.__name__}.{node.name} has no title"
            with translation.override("en"):
                english = str(node.task_title)
            assert title != english, f"{node.name}: {title!r} is not translated"
            for edge in node._outgoing():
                if edge.label is not None:  # a gate's labelled edges (Switch/Split: none)
                    assert str(edge.label) in ("ja", "nej"), (node.name, edge.label)
