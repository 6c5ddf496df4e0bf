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


# --- The MAS dashboard's figures, kept current on change -----------------------------------
#
# Each row below mirrors a source row (a deadline, an invitation, a discharge) once per
# kommun whose MAS oversees its case: the case has a party on the kommun's side there and
# is not withdrawn (``oversight.dashboard.Scope.cases``). PostgreSQL triggers
# (``oversight.dashboard_sql``) keep them in the transaction of every change of a source
# row, a party, an organisation or an area, so that the kommun's dashboard counts them
# without finding its cases first. ``manage.py rebuild_dashboard_figures`` fills them
# again from scratch. Not used on SQLite (the demo counts from the source rows).


class CaseKommun(models.Model):
    """A case the MAS of ``kommun`` oversees."""

    kommun = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    process_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kommun", "process_id"], name="case_kommun_unique")
        ]
        indexes = [models.Index(fields=["process_id"], name="case_kommun_process_idx")]

    def __str__(self):
        return f"{self.kommun_id}: {self.process_id}"


class DeadlineFigure(models.Model):
    """A deadline of a case in ``kommun``'s scope, as the dashboard counts it."""

    kommun = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    process_id = models.BigIntegerField()
    deadline_id = models.BigIntegerField()
    kind = models.CharField(max_length=40)
    responsible_organisation = models.ForeignKey(
        "coordination.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10)
    met_at = models.DateTimeField(null=True)
    breached_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kommun", "deadline_id"], name="deadline_figure_unique")
        ]
        indexes = [
            # Covering: the dashboard's grouped counts read the index alone.
            models.Index(
                fields=["kommun", "due_at"],
                include=["kind", "responsible_organisation", "status", "met_at", "breached_at"],
                name="deadline_figure_due_idx",
            ),
            models.Index(
                fields=["kommun", "due_at"],
                condition=models.Q(kind="SIP_FOLLOW_UP"),
                include=["status", "met_at"],
                name="deadline_figure_follow_up_idx",
            ),
            models.Index(fields=["deadline_id"], name="deadline_figure_deadline_idx"),
            models.Index(fields=["process_id"], name="deadline_figure_process_idx"),
        ]

    def __str__(self):
        return f"{self.kommun_id}: {self.deadline_id}"


class InvitationFigure(models.Model):
    """An invitation to an organisation in a SIP in ``kommun``'s scope."""

    kommun = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    process_id = models.BigIntegerField()
    invitation_id = models.BigIntegerField()
    meeting_id = models.BigIntegerField()
    organisation = models.ForeignKey(
        "coordination.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    sent_at = models.DateTimeField(null=True)
    held_at = models.DateTimeField(null=True)
    attendance = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kommun", "invitation_id"], name="invitation_figure_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["kommun", "sent_at"],
                include=["organisation", "held_at", "attendance"],
                name="invitation_figure_sent_idx",
            ),
            models.Index(
                fields=["kommun", "held_at"],
                include=["organisation", "sent_at", "attendance"],
                name="invitation_figure_held_idx",
            ),
            models.Index(fields=["invitation_id"], name="invitation_figure_inv_idx"),
            models.Index(fields=["meeting_id"], name="invitation_figure_meeting_idx"),
            models.Index(fields=["process_id"], name="invitation_figure_process_idx"),
        ]

    def __str__(self):
        return f"{self.kommun_id}: {self.invitation_id}"


class DischargeFigure(models.Model):
    """A discharge of a case in ``kommun``'s scope, ready for discharge and discharged."""

    kommun = models.ForeignKey(
        Area, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    process_id = models.BigIntegerField()
    ready_for_discharge_at = models.DateTimeField()
    discharged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kommun", "process_id"], name="discharge_figure_unique")
        ]
        indexes = [
            models.Index(
                fields=["kommun", "discharged_at"],
                include=["ready_for_discharge_at"],
                name="discharge_figure_out_idx",
            ),
            models.Index(fields=["process_id"], name="discharge_figure_process_idx"),
        ]

    def __str__(self):
        return f"{self.kommun_id}: {self.process_id}"


class EpisodeFigure(models.Model):
    """A discharged case's episode as the payment indicators count it (the trend panel,
    ``oversight.selectors.indicator_rows``): its notice in force and the unit that pays
    (per role the first unit taking part, the social services unit's first). The kommun
    is the paying unit's, read with it."""

    process_id = models.BigIntegerField(unique=True)
    paying_organisation = models.ForeignKey(
        "coordination.Organisation",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    care_type = models.CharField(max_length=20)
    discharged_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["discharged_at"], name="episode_figure_out_idx")]

    def __str__(self):
        return f"{self.process_id}"
