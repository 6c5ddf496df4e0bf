from django import template
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process

from coordination import access
from coordination.models import Huvudman
from notifications.selectors import emails_for_process

from .. import escalation
from ..models import DeadlineEvent
from ..selectors import deadline_events_for_process, open_deadlines_for_process

register = template.Library()

PANEL_LIMIT = 100


@register.simple_tag
def process_notifications(process):
    """Emails and deadline events of one case, for ``workflows/_process_notifications.html``."""
    if process is None or getattr(process, "pk", None) is None:
        return {"emails": [], "events": [], "timeline": []}
    events = list(deadline_events_for_process(process=process)[:PANEL_LIMIT])
    waiting = list(open_deadlines_for_process(process=process)[:PANEL_LIMIT])
    return {
        "emails": list(emails_for_process(process=process)[:PANEL_LIMIT]),
        "events": events,
        "timeline": deadline_timeline(events, waiting),
    }


NO_RECIPIENT = "no recipient found"  # what the sweep writes when a rung reaches nobody


def rung_text(event) -> str:
    """Who was told at one rung, in words: the sweep's note holds the addresses (an
    escalation's note starts with the coordinator organisation)."""
    recipients = event.note if event.note and event.note != NO_RECIPIENT else ""
    recipients = recipients or _("no new recipient found")
    if event.kind == DeadlineEvent.Kind.REMINDED:
        return _("Reminder to %(recipients)s") % {"recipients": recipients}
    if event.kind == DeadlineEvent.Kind.ESCALATED:
        organisation = event.deadline.responsible_organisation
        on_kommun_side = organisation.effective_huvudman == Huvudman.KOMMUN
        return _("Escalated to %(recipients)s (%(rung)s)") % {
            "recipients": recipients,
            "rung": _("KSA") if on_kommun_side else _("manager or GSA"),
        }
    return _("Breach: told %(recipients)s (MAS or chefläkare)") % {"recipients": recipients}


RUNG_NAMES = {
    escalation.REMIND: _("Reminder"),
    escalation.ESCALATE: _("Escalation"),
    escalation.BREACH: _("Breach"),
}


def next_rung(deadline) -> dict | None:
    """The next rung of an open deadline: what, when the ladder sets it, and when it
    is acted on (later when held to office hours)."""
    if deadline.kind not in escalation.KINDS or deadline.next_action_at is None:
        return None
    rungs = escalation.ladder(deadline.kind)
    if deadline.escalation_level >= len(rungs):
        return None
    # The rung acted on next: the earliest of those left once held to office hours (a
    # breach, never held, may come before an escalation held to the next morning).
    times = {
        level: escalation.rung_at(deadline.kind, due_at=deadline.due_at, level=level)
        for level in range(deadline.escalation_level, len(rungs))
    }
    level = min(times, key=lambda level: (times[level], level))
    rung = rungs[level]
    nominal = deadline.due_at + rung.offset
    at = times[level]
    return {
        "name": str(RUNG_NAMES[rung.action]),
        "nominal": nominal,
        "at": at,
        "held": at > nominal,
    }


def deadline_timeline(events, waiting=()) -> list[dict]:
    """The reminders, escalations and breaches grouped per deadline, oldest first,
    with the rule (the kind's label and source) each deadline follows and, for an
    open deadline, its next rung (shown as held when office hours put it later)."""
    groups: dict[int, dict] = {}

    def group_of(deadline):
        group = groups.get(deadline.pk)
        if group is None:
            kind = escalation.KINDS.get(deadline.kind)
            group = groups[deadline.pk] = {
                "deadline": deadline,
                "label": deadline.kind_label,
                "source": kind.source if kind else "",
                "rungs": [],
                "next": None,
            }
        return group

    for event in sorted(events, key=lambda e: (e.at, e.pk)):
        group_of(event.deadline)["rungs"].append({"event": event, "text": rung_text(event)})
    for deadline in waiting:
        group_of(deadline)["next"] = next_rung(deadline)
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
