"""Reads across every flow. ``processes_visible_to`` is the union of the per-flow rules
(``discharges_visible_to``, ``sips_visible_to``); a new flow adds its selector here."""

from django.db.models import QuerySet
from viewflow.workflow.models import Process

from workflows.discharge.selectors import discharges_visible_to
from workflows.sip.selectors import sips_visible_to


def processes_visible_to(*, user) -> QuerySet[Process]:
    """Every process (of any flow) the user may see, as viewflow ``Process`` rows."""
    if not user.is_authenticated or not user.is_active:
        return Process.objects.none()
    discharge_pks = discharges_visible_to(user=user).values("pk")
    sip_pks = sips_visible_to(user=user).values("pk")
    return Process.objects.filter(pk__in=discharge_pks) | Process.objects.filter(pk__in=sip_pks)
