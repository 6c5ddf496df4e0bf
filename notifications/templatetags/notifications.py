from django import template

from .. import selectors

register = template.Library()

PANEL_LIMIT = 100


@register.simple_tag
def process_notifications(process):
    """Emails and deadline events of one case, for ``notifications/_process_emails.html``."""
    if process is None or getattr(process, "pk", None) is None:
        return {"emails": [], "events": []}
    return {
        "emails": list(selectors.emails_for_process(process=process)[:PANEL_LIMIT]),
        "events": list(selectors.deadline_events_for_process(process=process)[:PANEL_LIMIT]),
    }
