"""The email outbox and each user's notification preferences.

Business code never talks to SMTP: it writes an ``OutboundEmail`` row in its own
transaction (``notifications.services.email_enqueue``) and the delivery task sends it
after commit. The row is the truth about what was sent.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .catalogue import template_label


class OutboundEmail(models.Model):
    """One message to one recipient.

    ``idempotency_key`` is unique: the same reminder (deadline, rung, recipient) can be
    enqueued any number of times and exists once. Content is either rendered when the
    row is written (``email_enqueue``) or, for the sweep's bulk writes, rendered from
    ``template`` and the plain-data ``context`` when the row is first delivered.
    """

    class Status(models.TextChoices):
        # A context of their own: other apps translate "Sent" for invitations.
        PENDING = "PENDING", pgettext_lazy("email status", "Pending")
        SENDING = "SENDING", pgettext_lazy("email status", "Sending")
        SENT = "SENT", pgettext_lazy("email status", "Sent")
        FAILED = "FAILED", pgettext_lazy("email status", "Failed")

    idempotency_key = models.CharField(_("idempotency key"), max_length=320, unique=True)
    to = models.EmailField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=120)
    context = models.JSONField(_("template data"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    rendered_at = models.DateTimeField(_("rendered"), null=True, blank=True)

    # Few indexes on purpose: the sweep inserts thousands of rows a minute at peak, and
    # every index costs on each insert. (process, created_at) below serves the case page.
    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    deadline = models.ForeignKey(
        "workflows.Deadline",
        verbose_name=_("deadline"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emails",
        db_index=False,  # deadlines are never deleted (their process is protected)
    )
    organisation = models.ForeignKey(
        "coordination.Organisation",
        verbose_name=_("recipient organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The organisation on whose behalf the recipient gets the message."),
    )

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    resent_at = models.DateTimeField(_("resent"), null=True, blank=True)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="SENT") | models.Q(sent_at__isnull=False),
                name="outbound_email_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="SENDING") | models.Q(claimed_at__isnull=False),
                name="outbound_email_sending_has_claim",
            ),
        ]
        indexes = [
            # The delivery claim's only query: rows still to send (or stuck sending).
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["PENDING", "SENDING"]),
                name="outbound_email_due_idx",
            ),
            models.Index(fields=["process", "created_at"], name="outbound_email_process_idx"),
            models.Index(fields=["status", "created_at"], name="outbound_email_status_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.to} ({self.status})"

    @property
    def display_subject(self) -> str:
        """The subject, or what the message is while it is still to be rendered."""
        if self.subject:
            return self.subject

        return template_label(self.template)


class NotificationPreference(models.Model):
    """What a user wants beyond the reminders their work requires.

    Reminders, escalations and breach notices are not optional; the daily digest is.
    A user without a row gets the defaults.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=True,
        help_text=_("An email each morning with what is due today and what is overdue."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)
