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


class Scope(models.TextChoices):
    DISCHARGE_READ = "discharge:read", _("Read discharges")
    DISCHARGE_WRITE = "discharge:write", _("Admissions and discharge steps")
    SIP_READ = "sip:read", _("Read SIPs")
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
