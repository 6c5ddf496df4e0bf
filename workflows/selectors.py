"""Reads across every flow: ``processes_visible_to`` is the one access rule
(``coordination.access``) over viewflow's ``Process``."""

from django.db.models import QuerySet
from viewflow.workflow.models import Process

from coordination import access


def processes_visible_to(*, user) -> QuerySet[Process]:
    """Every process (of any flow) the user may see, as viewflow ``Process`` rows."""
    return access.processes_visible_to(user=user, model=Process)
