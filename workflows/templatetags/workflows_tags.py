from django import template
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process

from coordination import access
from coordination.models import Huvudman
from notifications.selectors import emails_for_process

from .. import escalation
from ..models import DeadlineEvent
from ..selectors import deadline_events_for_process

register = template.Library()

PANEL_LIMIT = 100


@register.simple_tag
def process_notifications(process):
    """Emails and deadline events of one case, for ``workflows/_process_notifications.html``."""
    if process is None or getattr(process, "pk", None) is None:
        return {"emails": [], "events": [], "timeline": []}
    events = list(deadline_events_for_process(process=process)[:PANEL_LIMIT])
    return {
        "emails": list(emails_for_process(process=process)[:PANEL_LIMIT]),
        "events": events,
        "timeline": deadline_timeline(events),
    }


NO_RECIPIENT = "no recipient found"  # what the sweep writes when a rung reaches nobody


def rung_text(event) -> str:
    """Who was told at one rung, in words: the sweep's note holds the addresses."""
    recipients = event.note if event.note and event.note != NO_RECIPIENT else ""
    recipients = recipients or _("no recipient found")
    if event.kind == DeadlineEvent.Kind.REMINDED:
        return _("Reminder to %(recipients)s") % {"recipients": recipients}
    if event.kind == DeadlineEvent.Kind.ESCALATED:
        organisation = event.deadline.responsible_organisation
        on_kommun_side = organisation.effective_huvudman == Huvudman.KOMMUN
        return _("Escalated to %(recipients)s (%(rung)s)") % {
            "recipients": recipients,
            "rung": "KSA" if on_kommun_side else "GSA",
        }
    return _("Breach: MAS %(recipients)s") % {"recipients": recipients}


def deadline_timeline(events) -> list[dict]:
    """The reminders, escalations and breaches grouped per deadline, oldest first,
    with the rule (the kind's label and source) each deadline follows."""
    groups: dict[int, dict] = {}
    for event in sorted(events, key=lambda e: (e.at, e.pk)):
        deadline = event.deadline
        group = groups.get(deadline.pk)
        if group is None:
            kind = escalation.KINDS.get(deadline.kind)
            group = groups[deadline.pk] = {
                "deadline": deadline,
                "label": deadline.kind_label,
                "source": kind.source if kind else "",
                "rungs": [],
            }
        group["rungs"].append({"event": event, "text": rung_text(event)})
    return list(groups.values())


@register.filter
def visible_to(processes, user) -> list:
    """The cases among ``processes`` (one, a list or a queryset) that ``user`` may see:
    a link between two cases (a discharge and its SIP) is shown only to those who may
    open both (``coordination.access``)."""
    if processes is None:
        return []
    if isinstance(processes, Process):
        processes = [processes]
    processes = list(processes)
    visible = set(
        access.processes_visible_to(user=user)
        .filter(pk__in=[process.pk for process in processes])
        .values_list("pk", flat=True)
    )
    return [process for process in processes if process.pk in visible]


@register.filter
def case_path(process) -> str:
    """The case page of a process loaded as viewflow's ``Process`` (e.g. a SIP's
    ``origin_discharge``): its flow's own model knows the address."""
    flow_class = getattr(process, "flow_class", None)
    concrete = process
    if isinstance(flow_class, type) and not isinstance(process, flow_class.process_class):
        concrete = flow_class.process_class._default_manager.filter(pk=process.pk).first()
    get_absolute_url = getattr(concrete, "get_absolute_url", None)
    return get_absolute_url() if get_absolute_url else ""
