"""What oversight owns: a kommun's disputes of episodes in the invoice basis, and the
population figures behind "days per 1 000 inhabitants 65+". Everything else it reads
from ``workflows`` and ``coordination``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.models import Area
from workflows.discharge.models import DischargeProcess


class PaymentDispute(models.Model):
    """A kommun disputes one episode of its invoice basis, with a reason; the region
    side resolves it. While open the episode stays in the basis, marked disputed; an
    accepted dispute takes it out, a rejected one leaves it in."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        ACCEPTED = "ACCEPTED", _("Accepted: the episode is removed")
        REJECTED = "REJECTED", _("Rejected: the episode stays")

    # Purged with the case when its retention period ends (oversight.retention).
    process = models.ForeignKey(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kommun = models.ForeignKey(
        Area, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(_("disputed"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disputed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    resolution_note = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("dispute of payment")
        verbose_name_plural = _("disputes of payment")
        constraints = [
            models.UniqueConstraint(
                fields=["process"],
                condition=models.Q(status="OPEN"),
                name="payment_dispute_one_open",
            ),
            models.CheckConstraint(condition=~models.Q(reason=""), name="payment_dispute_reason"),
            models.CheckConstraint(
                condition=models.Q(status="OPEN") | models.Q(resolved_at__isnull=False),
                name="payment_dispute_resolved_at",
            ),
        ]

    def __str__(self):
        return f"{self.process} ({self.get_status_display()})"


class KommunPopulation(models.Model):
    """Inhabitants aged 65 or more of a kommun in a year (SCB), for the SKR indicator
    "dagar per 1 000 invånare 65+" (vantetider.se, research P16)."""

    kommun = models.ForeignKey(
        Area, verbose_name=_("municipality"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    inhabitants_65_plus = models.PositiveIntegerField(_("inhabitants aged 65+"))
    source = models.CharField(_("source"), max_length=300)

    class Meta:
        ordering = ["kommun", "year"]
        verbose_name = _("population 65+")
        verbose_name_plural = _("population 65+")
        constraints = [
            models.UniqueConstraint(fields=["kommun", "year"], name="population_one_per_year"),
            models.CheckConstraint(
                condition=models.Q(inhabitants_65_plus__gt=0), name="population_positive"
            ),
        ]

    def __str__(self):
        return f"{self.kommun} {self.year}: {self.inhabitants_65_plus}"
