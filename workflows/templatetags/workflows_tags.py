from django import template

from notifications.selectors import emails_for_process

from ..selectors import deadline_events_for_process

register = template.Library()

PANEL_LIMIT = 100


@register.simple_tag
def process_notifications(process):
    """Emails and deadline events of one case, for ``workflows/_process_notifications.html``."""
    if process is None or getattr(process, "pk", None) is None:
        return {"emails": [], "events": []}
    return {
        "emails": list(emails_for_process(process=process)[:PANEL_LIMIT]),
        "events": list(deadline_events_for_process(process=process)[:PANEL_LIMIT]),
    }
