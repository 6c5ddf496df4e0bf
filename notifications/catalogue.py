"""The email templates the system sends, by path prefix, with a label for lists.

Each prefix names three templates: ``{prefix}_subject.txt``, ``{prefix}.txt`` and
``{prefix}.html`` (see ``notifications.services.email_enqueue``).
"""

from django.utils.translation import gettext_lazy as _

DEADLINE_REMINDER = "notifications/email/deadline_reminder"
DEADLINE_ESCALATION = "notifications/email/deadline_escalation"
DEADLINE_BREACH = "notifications/email/deadline_breach"
DAILY_DIGEST = "notifications/email/daily_digest"

TEMPLATE_LABELS = {
    DEADLINE_REMINDER: _("Reminder"),
    DEADLINE_ESCALATION: _("Escalation"),
    DEADLINE_BREACH: _("Deadline breached"),
    DAILY_DIGEST: _("Daily digest"),
}


def register_labels(labels: dict) -> None:
    """Labels of a flow's templates (prefix → label), for rows listed before they are
    rendered at delivery."""
    TEMPLATE_LABELS.update(labels)


def template_label(template: str) -> str:
    label = TEMPLATE_LABELS.get(template)
    return str(label) if label else template.rsplit("/", 1)[-1].replace("_", " ")
