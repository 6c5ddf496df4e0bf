"""Systems that use the REST API, and the events they sent.

An ``ApiClient`` acts for one organisation through its own service user (an active
``Membership`` with role ``SYSTEM``): the services (``by=user``), the one access rule
and the access log treat it exactly as a person of that organisation, and the log
names the client. The key is shown once at creation; only its SHA-256 is stored.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.models import Organisation
from notifications.models import OutboundEmail


class Scope(models.TextChoices):
    DISCHARGE_READ = "discharge:read", _("Read discharges")
    DISCHARGE_WRITE = "discharge:write", _("Admissions and discharge steps")
    SIP_READ = "sip:read", _("Read SIPs")
    SIP_WRITE = "sip:write", _("Start SIPs, invitations, answers, meetings and plans")
    DEVIATION_READ = "deviation:read", _("Read deviations")
    DEVIATION_WRITE = "deviation:write", _("Report and answer deviations")
    DIRECTORY_READ = "directory:read", _("Read the organisation directory")


class ApiClient(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_clients",
    )
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret (SHA-256)"), max_length=64, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self):
        return f"{self.name} ({self.organisation})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ApiEvent(models.Model):
    """An event a client sent with its own id (ADT admit, transfer, discharge), kept
    with the first successful response so that a repeat returns the same result."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.PROTECT, related_name="events"
    )
    event_id = models.CharField(_("sender's event id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20)
    body_hash = models.CharField(_("body (SHA-256)"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), default=0)
    response_body = models.JSONField(_("response"), default=dict)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("API event")
        verbose_name_plural = _("API events")
        constraints = [
            models.UniqueConstraint(fields=["client", "event_id"], name="api_event_unique_id"),
        ]

    def __str__(self):
        return f"{self.client} {self.kind} {self.event_id}"


class WebhookEventType(models.TextChoices):
    MESSAGE = "message", _("New messages to the organisation")
    DEADLINE = "deadline", _("Deadlines due (reminder, escalation, breach)")
    CASE = "case", _("Changes in cases the organisation is party to")
    DEVIATION = "deviation", _("Deviations reported by or to the organisation, and answers")


class WebhookSubscription(models.Model):
    """A system of an organisation that receives the organisation's events by HTTPS.

    Owned by the organisation, optionally through one of its API clients. The secret
    signs every delivery (``Kardborre-Signature``); it is shown once when the
    subscription is created. It is kept in the database because signing needs it
    (unlike an API key, which is only compared by its hash).
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
    )
    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("API client"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        help_text=_("The system that receives the events, if it has an API client."),
    )
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["organisation__name", "url"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        indexes = [
            models.Index(
                fields=["organisation"],
                condition=models.Q(revoked_at__isnull=True),
                name="webhook_sub_active_idx",
            ),
        ]

    def __str__(self):
        return f"{self.url} ({self.organisation})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookDelivery(models.Model):
    """One event for one subscription: a row of the webhook outbox.

    Delivered like an email (``notifications.services``: the same claim with a lease,
    retries with exponential backoff, giving up after ``NOTIFICATIONS_MAX_ATTEMPTS``).
    ``idempotency_key`` is unique, so the same event reaches a subscription once however
    often it is announced; ``event_id`` is sent as ``Kardborre-Event-Id`` and stays the
    same across retries, so a receiver can drop a rare duplicate.
    """

    Status = OutboundEmail.Status

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=340, unique=True)
    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    event_type = models.CharField(_("event type"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="SENT") | models.Q(sent_at__isnull=False),
                name="webhook_delivery_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="SENDING") | models.Q(claimed_at__isnull=False),
                name="webhook_delivery_sending_has_claim",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["PENDING", "SENDING"]),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["status", "created_at"], name="webhook_delivery_status_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.event_type} → {self.subscription.url} ({self.status})"
