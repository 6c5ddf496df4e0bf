"""The facts of one discharge from inpatient care under LUS (Lag 2017:612).

``DischargeProcess`` is a concrete (multi-table) subclass of viewflow's ``Process`` so
that dashboards and the sweep can query real columns. Every step is recorded twice:
as a column holding the current fact (``admission_notice_sent_at``…) and as a
``DischargeEvent`` row (who, when, from → to stage), which the case page shows as
the timeline. Glossary (DOMAIN §6): ``ready_for_discharge_at`` ↔ "utskrivningsklar",
``admission_notice`` ↔ "inskrivningsmeddelande", ``fast_vardkontakt`` ↔ "fast
vårdkontakt", ``sip_kallelse`` ↔ "kallelse till SIP".
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition
from viewflow.workflow.models import Process

from coordination.models import Huvudman, Individual, Organisation
from workflows.changed_fields import SavesChangedFieldsMixin


class CareType(models.TextChoices):
    SOMATIC = "SOMATIC", _("Somatic care")
    PSYCHIATRIC = "PSYCHIATRIC", _("Psychiatric inpatient care")


class Judgement(models.TextChoices):
    """The treating physician's judgement of needs after discharge (LUS 4 kap. 1 §)."""

    MAY_NEED = "MAY_NEED", _("May need interventions after discharge")
    NO_NEED = "NO_NEED", _("Needs no interventions after discharge")
    PENDING = "PENDING", _("Not judged yet")


class UnitRole(models.TextChoices):
    SOCIALTJANST = "SOCIALTJANST", _("Municipal social services")
    KOMMUNAL_HSV = "KOMMUNAL_HSV", _("Municipal health care")
    VARDCENTRAL = "VARDCENTRAL", _("Primary care centre")


KOMMUN_ROLES = (UnitRole.SOCIALTJANST, UnitRole.KOMMUNAL_HSV)


class Stage(models.TextChoices):
    ADMITTED = "ADMITTED", _("Admitted")
    NO_LUS_PLANNING = "NO_LUS_PLANNING", _("No LUS planning")
    PLANNING = "PLANNING", _("Planning")
    READY = "READY", _("Ready for discharge")
    DISCHARGED = "DISCHARGED", _("Discharged")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn (registered in error)")


OPEN_STAGES = (Stage.ADMITTED, Stage.PLANNING, Stage.READY)


class DischargeProcess(SavesChangedFieldsMixin, FSMModelMixin, Process):
    """One inpatient stay, from admission to discharge, and its LUS obligations."""

    individual = models.ForeignKey(
        Individual, verbose_name=_("individual"), on_delete=models.PROTECT, related_name="+"
    )
    ward = models.ForeignKey(
        Organisation,
        verbose_name=_("admitting ward"),
        on_delete=models.PROTECT,
        related_name="admitted_discharges",
    )
    admitted_at = models.DateTimeField(_("admitted"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    care_type = models.CharField(
        _("care type"), max_length=12, choices=CareType.choices, default=CareType.SOMATIC
    )
    # DOMAIN §1.5: LPT/LRV patients leaving for ÖPT/ÖRV get a coordinated care plan
    # (samordnad vårdplan) instead of the ordinary LUS path.
    leaves_for_open_compulsory_care = models.BooleanField(
        _("LPT/LRV care continuing as ÖPT/ÖRV"), default=False
    )
    judgement = models.CharField(_("judgement of needs"), max_length=10, choices=Judgement.choices)
    judged_at = models.DateTimeField(_("judged"), null=True, blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("judged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    units = models.ManyToManyField(
        Organisation,
        through="DischargeUnit",
        through_fields=("process", "organisation"),
        verbose_name=_("units concerned"),
        related_name="discharges_concerned",
    )
    vardcentral = models.ForeignKey(
        Organisation,
        verbose_name=_("primary care centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vardcentral_discharges",
    )
    estimated_discharge_date = models.DateField(_("estimated discharge date"), null=True)
    admission_notice_sent_at = models.DateTimeField(_("admission notice sent"), null=True)
    admission_notice_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("admission notice sent by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fast_vardkontakt = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("designated care contact"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fast_vardkontakt_discharges",
    )
    fast_vardkontakt_appointed_at = models.DateTimeField(_("care contact appointed"), null=True)
    fast_vardkontakt_appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("care contact appointed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The issue time of the notice in force; None before the first one and after a
    # revocation. The notices themselves, revoked ones included, are rows.
    ready_for_discharge_at = models.DateTimeField(_("ready for discharge"), null=True)
    sip_kallelse_sent_at = models.DateTimeField(_("invitation to SIP sent"), null=True)
    sip_kallelse_skipped_reason = models.CharField(
        _("reason the invitation to SIP was not sent"), max_length=300, blank=True
    )
    sip_kallelse_recorded_at = models.DateTimeField(_("SIP invitation recorded"), null=True)
    sip_kallelse_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("SIP invitation recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    individual_declined_interventions = models.BooleanField(
        _("the individual declined interventions"), default=False
    )
    discharge_information_sent_at = models.DateTimeField(
        _("information at discharge sent"), null=True
    )
    discharged_at = models.DateTimeField(_("discharged"), null=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("discharge recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stage = FSMField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.ADMITTED, protected=True
    )
    # An admission registered more than the allowed window after the fact needs a reason,
    # kept and shown (issue #12: plausible input).
    late_registration_reason = models.CharField(
        _("reason for late registration"), max_length=300, blank=True
    )
    # Makulering: a case registered in error is withdrawn, never deleted.
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    class Meta:
        ordering = ["-admitted_at", "-pk"]
        verbose_name = _("discharge")
        verbose_name_plural = _("discharges")
        indexes = [models.Index(fields=["stage", "admitted_at"], name="discharge_stage_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharged_at__isnull=True)
                | models.Q(discharged_at__gte=models.F("admitted_at")),
                name="discharge_not_before_admission",
            ),
            models.CheckConstraint(
                condition=models.Q(ready_for_discharge_at__isnull=True)
                | models.Q(ready_for_discharge_at__gte=models.F("admitted_at")),
                name="discharge_ready_not_before_admission",
            ),
            models.CheckConstraint(
                condition=~models.Q(stage="WITHDRAWN")
                | (models.Q(withdrawn_at__isnull=False) & ~models.Q(withdrawal_reason="")),
                name="discharge_withdrawal_has_time_and_reason",
            ),
        ]

    def __str__(self):
        return str(_("Discharge #%(pk)s") % {"pk": self.pk})

    def get_absolute_url(self):
        return reverse("utskrivning:case_detail", args=[self.pk])

    # --- Who takes part ---------------------------------------------------------------

    @classmethod
    def participants_prefetch(cls, queryset):
        """``queryset`` loading what ``participating_organisations`` reads, for many
        cases in a fixed number of queries (the sweep's recipients)."""
        return queryset.select_related("ward__area__parent").prefetch_related(
            models.Prefetch(
                "unit_rows",
                queryset=DischargeUnit.objects.select_related("organisation__area__parent"),
            )
        )

    def participating_organisations(self) -> list[Organisation]:
        """The ward and every unit the admission notice went to, except a unit that
        rejected it as "not our resident" (it still sees the case: see
        ``selectors.discharges_visible_to``, but takes no further part)."""
        organisations = [self.ward]
        prefetched = "unit_rows" in getattr(self, "_prefetched_objects_cache", {})
        rows = self.unit_rows.all() if prefetched else self.unit_rows.select_related("organisation")
        for unit in rows:
            if not unit.is_active:
                continue
            if unit.organisation not in organisations:
                organisations.append(unit.organisation)
        return organisations

    def unit(self, role):
        """The first current (not replaced) DischargeUnit row of ``role`` that takes
        part, else the first current one (a rejection), or None. A role may have several
        current units (a unit added later); the flow's branch of each unit follows its
        own task (``flows``)."""
        if self.pk is None:
            return None
        if "unit_rows" in getattr(self, "_prefetched_objects_cache", {}):  # read once
            rows = sorted(
                (
                    row
                    for row in self.unit_rows.all()
                    if row.role == role and row.superseded_at is None
                ),
                key=lambda row: (row.notified_at, row.pk),
            )
        else:
            rows = list(
                self.unit_rows.filter(role=role, superseded_at__isnull=True)
                .select_related("organisation")
                .order_by("notified_at", "pk")
            )
        return next((row for row in rows if not row.is_rejected), rows[0] if rows else None)

    def unit_organisation(self, role):
        unit = self.unit(role)
        return unit.organisation if unit else None

    @property
    def current_ready_notice(self):
        return self.ready_notices.filter(revoked_at__isnull=True).first()

    @property
    def sip_kallelse_needed(self) -> bool:
        """LUS 4 kap. 6 §: a SIP is called when interventions from both kommun and
        region are needed; read as "both a kommun unit and the vårdcentral take part"."""
        if "unit_rows" in getattr(self, "_prefetched_objects_cache", {}):
            rows = self.unit_rows.all()
        else:
            rows = self.unit_rows.select_related("organisation")
        active = [unit for unit in rows if unit.is_active]
        has_kommun = any(unit.organisation.effective_huvudman == Huvudman.KOMMUN for unit in active)
        has_region = any(unit.role == UnitRole.VARDCENTRAL for unit in active)
        return has_kommun and has_region and not self.leaves_for_open_compulsory_care

    @property
    def sip_kallelse_recorded(self) -> bool:
        return self.sip_kallelse_recorded_at is not None

    # --- Stages (each transition writes a DischargeEvent in the service) -------------

    @transition(field=stage, source=Stage.ADMITTED, target=Stage.NO_LUS_PLANNING)
    def close_without_planning(self):
        """Judged to need no interventions: ordinary routines apply, not LUS."""

    @transition(field=stage, source=Stage.ADMITTED, target=Stage.PLANNING)
    def start_planning(self):
        """The admission notice went out."""

    @transition(field=stage, source=Stage.PLANNING, target=Stage.READY)
    def mark_ready(self):
        """An utskrivningsklar notice is in force."""

    @transition(field=stage, source=Stage.READY, target=Stage.PLANNING)
    def revoke_ready(self):
        """No longer utskrivningsklar: back to planning until a new notice."""

    @transition(field=stage, source=Stage.READY, target=Stage.DISCHARGED)
    def discharge(self):
        """Discharged."""

    @transition(
        field=stage,
        source=[s for s in Stage.values if s != Stage.WITHDRAWN],
        target=Stage.WITHDRAWN,
    )
    def withdraw(self):
        """Registered in error (makulering): the record stays, marked withdrawn."""

    @property
    def is_withdrawn(self) -> bool:
        return self.stage == Stage.WITHDRAWN

    @property
    def is_open(self) -> bool:
        """Still in the ward: neither closed, discharged nor withdrawn."""
        return self.stage in OPEN_STAGES


class DischargeUnit(models.Model):
    """A unit the admission notice went to, and its answer and plan.

    A role may have several units over time: a unit answering "not our resident"
    names the right kommun's unit, which gets a row of its own (``origin`` FORWARDED,
    ``replaces`` the rejecting row); a party may add a unit (ADDED) or replace one with a
    reason (REPLACEMENT). A replaced or forwarding row stays, marked ``superseded_at``,
    as the history the case page shows.
    """

    class Origin(models.TextChoices):
        ADMISSION_NOTICE = "ADMISSION_NOTICE", _("Admission notice")
        FORWARDED = "FORWARDED", _("Forwarded: not the resident of the first unit")
        ADDED = "ADDED", _("Added to the planning")
        REPLACEMENT = "REPLACEMENT", _("Replaced another unit")

    class AckState(models.TextChoices):
        PENDING = "PENDING", _("Not answered")
        ACKNOWLEDGED = "ACKNOWLEDGED", pgettext_lazy("LUS", "Acknowledged")
        REJECTED_NOT_RESIDENT = "REJECTED_NOT_RESIDENT", _("Rejected: not our resident")
        NOT_KNOWN = "NOT_KNOWN", _("Acknowledged: not known to us")

    process = models.ForeignKey(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="unit_rows",
    )
    role = models.CharField(_("role"), max_length=20, choices=UnitRole.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    notified_at = models.DateTimeField(_("notified"), null=True)
    ack_state = models.CharField(
        _("answer"), max_length=24, choices=AckState.choices, default=AckState.PENDING
    )
    ack_reason = models.CharField(pgettext_lazy("LUS", "reason"), max_length=300, blank=True)
    ack_at = models.DateTimeField(pgettext_lazy("LUS", "answered"), null=True)
    ack_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    interventions_needed = models.BooleanField(_("interventions needed"), null=True)
    planned_interventions = models.TextField(_("planned interventions"), blank=True)
    planned_at = models.DateTimeField(_("planned"), null=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    origin = models.CharField(
        _("how the unit came in"),
        max_length=20,
        choices=Origin.choices,
        default=Origin.ADMISSION_NOTICE,
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="successors",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_reason = models.CharField(_("reason for adding"), max_length=300, blank=True)
    # Set when the unit was replaced or forwarded the notice on: history from then.
    superseded_at = models.DateTimeField(_("replaced"), null=True, blank=True)
    superseded_reason = models.CharField(_("reason for replacing"), max_length=300, blank=True)
    # Reachability NO or UNKNOWN when the unit came in: each message to it counts as
    # sent only once a second channel is recorded (``MessageSecondChannel``).
    needs_second_channel = models.BooleanField(_("needs a second channel"), default=False)

    class Meta:
        ordering = ["process", "role", "notified_at", "pk"]
        verbose_name = _("unit concerned")
        verbose_name_plural = _("units concerned")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "role", "organisation"],
                condition=models.Q(superseded_at__isnull=True)
                & ~models.Q(ack_state="REJECTED_NOT_RESIDENT"),
                name="discharge_unit_once_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(origin="ADMISSION_NOTICE")
                | ~models.Q(added_reason="")
                | models.Q(origin="FORWARDED"),
                name="discharge_unit_added_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(ack_state="REJECTED_NOT_RESIDENT") | ~models.Q(ack_reason=""),
                name="discharge_unit_rejection_has_reason",
            ),
        ]
        indexes = [
            # The MAS dashboard's re-routed notices: the few answered "not our resident".
            models.Index(
                fields=["ack_at"],
                condition=models.Q(ack_state="REJECTED_NOT_RESIDENT"),
                name="discharge_unit_rejected_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.organisation}"

    @property
    def is_rejected(self) -> bool:
        return self.ack_state == self.AckState.REJECTED_NOT_RESIDENT

    @property
    def is_active(self) -> bool:
        """Takes part now: neither rejected nor replaced."""
        return self.superseded_at is None and not self.is_rejected


class MessageSecondChannel(models.Model):
    """A LUS message to a unit the planning IT support may not reach (reachability NO
    or UNKNOWN), also given another way: who, when, how. Until it is recorded the
    message is flagged on the case page and does not count as sent (the rule of the
    SIP invitation, ``workflows.sip.models.Invitation``)."""

    class Message(models.TextChoices):
        ADMISSION_NOTICE = "ADMISSION_NOTICE", _("Admission notice")
        READY_NOTICE = "READY_NOTICE", _("Ready-for-discharge notice")
        DISCHARGE_INFORMATION = "DISCHARGE_INFORMATION", _("Information at discharge")

    class Channel(models.TextChoices):
        PHONE = "PHONE", _("Phone")
        SECURE_EMAIL = "SECURE_EMAIL", _("Secure email")
        LETTER = "LETTER", _("Letter")

    unit = models.ForeignKey(
        DischargeUnit,
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="second_channels",
    )
    message = models.CharField(_("message"), max_length=24, choices=Message.choices)
    ready_notice = models.ForeignKey(
        "ReadyForDischargeNotice",
        verbose_name=_("ready-for-discharge notice"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    channel = models.CharField(_("second channel"), max_length=20, choices=Channel.choices)
    at = models.DateTimeField(_("second channel used"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second channel used by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("second channel note"), max_length=300)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("second channel of a message")
        verbose_name_plural = _("second channels of messages")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "message"],
                condition=models.Q(ready_notice__isnull=True),
                name="discharge_second_channel_once",
            ),
            models.UniqueConstraint(
                fields=["unit", "ready_notice"],
                condition=models.Q(ready_notice__isnull=False),
                name="discharge_second_channel_once_per_notice",
            ),
            models.CheckConstraint(
                condition=models.Q(message="READY_NOTICE", ready_notice__isnull=False)
                | (~models.Q(message="READY_NOTICE") & models.Q(ready_notice__isnull=True)),
                name="discharge_second_channel_notice",
            ),
            models.CheckConstraint(
                condition=~models.Q(note=""), name="discharge_second_channel_has_note"
            ),
        ]

    def __str__(self):
        return f"{self.get_message_display()}: {self.unit} ({self.get_channel_display()})"


class EstimatedDischargeDate(models.Model):
    """Every estimate of the discharge date (PUD), kept; the units are told of each."""

    process = models.ForeignKey(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="estimated_dates",
    )
    estimated_date = models.DateField(_("estimated discharge date"))
    previous_date = models.DateField(_("previous estimate"), null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("estimated discharge date")
        verbose_name_plural = _("estimated discharge dates")

    def __str__(self):
        return f"{self.estimated_date:%Y-%m-%d}"


# A notice typed more than this before it was recorded counts as backdated and needs a
# reason (the time it takes to fill in the form is not a backdating).
BACKDATE_TOLERANCE = dt.timedelta(minutes=15)


class ReadyForDischargeNotice(models.Model):
    """One utskrivningsklar notice. A revocation is recorded, never an edit
    (DOMAIN §1.3 step 5); a reissue is a new row and restarts the clocks."""

    process = models.ForeignKey(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="ready_notices",
    )
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revocation_reason = models.CharField(_("reason for revocation"), max_length=300, blank=True)
    backdate_reason = models.CharField(
        _("reason the time is earlier than it was sent"), max_length=300, blank=True
    )
    acknowledged_at = models.DateTimeField(_("acknowledged by the primary care centre"), null=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("ready-for-discharge notice")
        verbose_name_plural = _("ready-for-discharge notices")
        constraints = [
            models.UniqueConstraint(
                fields=["process"],
                condition=models.Q(revoked_at__isnull=True),
                name="discharge_one_notice_in_force",
            ),
        ]

    def __str__(self):
        return f"{self.issued_at:%Y-%m-%d %H:%M}"

    @property
    def sent_at(self):
        """When the system sent the notice to the units: the basis of day 0 for payment
        (Stockholm routine: the send time "är utgångspunkt för beräkningen", research
        P4). ``issued_at`` is the time the ward typed, which may be earlier."""
        return self.recorded_at

    @property
    def is_backdated(self) -> bool:
        return self.issued_at < self.recorded_at - BACKDATE_TOLERANCE


class DischargeEvent(models.Model):
    """What happened in a discharge, for the timeline: who, when, from → to stage."""

    class Kind(models.TextChoices):
        REGISTERED = "REGISTERED", _("Admission registered")
        JUDGED = "JUDGED", _("Needs judged")
        NO_LUS_PLANNING = "NO_LUS_PLANNING", _("Closed: no LUS planning")
        ADMISSION_NOTICE_SENT = "ADMISSION_NOTICE_SENT", _("Admission notice sent")
        UNIT_ANSWERED = "UNIT_ANSWERED", _("Admission notice answered")
        UNIT_FORWARDED = "UNIT_FORWARDED", _("Admission notice forwarded to the right unit")
        UNIT_ADDED = "UNIT_ADDED", _("Unit added")
        UNIT_REPLACED = "UNIT_REPLACED", _("Unit replaced")
        FAST_VARDKONTAKT_APPOINTED = (
            "FAST_VARDKONTAKT_APPOINTED",
            _("Designated care contact appointed"),
        )
        INTERVENTIONS_PLANNED = "INTERVENTIONS_PLANNED", _("Interventions planned")
        ESTIMATED_DATE_CHANGED = "ESTIMATED_DATE_CHANGED", _("Estimated discharge date changed")
        READY_NOTICE_ISSUED = "READY_NOTICE_ISSUED", _("Ready-for-discharge notice sent")
        READY_NOTICE_ACKNOWLEDGED = (
            "READY_NOTICE_ACKNOWLEDGED",
            _("Ready-for-discharge notice acknowledged"),
        )
        READY_NOTICE_REVOKED = "READY_NOTICE_REVOKED", _("Ready-for-discharge notice revoked")
        SIP_KALLELSE_SENT = "SIP_KALLELSE_SENT", _("Invitation to SIP sent")
        SIP_KALLELSE_SKIPPED = "SIP_KALLELSE_SKIPPED", _("Invitation to SIP not needed")
        DISCHARGED = "DISCHARGED", _("Discharged")
        WARD_CHANGED = "WARD_CHANGED", _("Moved to another ward")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn (registered in error)")
        SECOND_CHANNEL = "SECOND_CHANNEL", _("Second channel used")
        PLANNING_BASIS = "PLANNING_BASIS", _("Planning basis sent")
        PLANNING_BASIS_ACKNOWLEDGED = (
            "PLANNING_BASIS_ACKNOWLEDGED",
            _("Planning basis acknowledged"),
        )
        INFORMATION_WRITTEN = "INFORMATION_WRITTEN", _("Information at discharge written")
        INFORMATION_ACKNOWLEDGED = (
            "INFORMATION_ACKNOWLEDGED",
            _("Information at discharge acknowledged"),
        )

    process = models.ForeignKey(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=30, choices=Kind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("LUS", "by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=pgettext_lazy("LUS", "organisation"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("discharge event")
        verbose_name_plural = _("discharge events")

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class PaymentModel(models.TextChoices):
    """How an agreement turns days utskrivningsklar into payable days (research §2.5)."""

    PER_PATIENT = "PER_PATIENT", _("Per patient: free days for each patient")
    AVERAGE = "AVERAGE", _("Average: mean days per municipality and period")


class DayCount(models.TextChoices):
    CALENDAR = "CALENDAR", _("Calendar days")
    WORKING = "WORKING", _("Working days")


class PaymentAgreement(models.Model):
    """One version of the rules of payment responsibility (betalningsansvar, LUS 5 kap.).

    The model (per patient or average), the cut-off time, calendar or working days and
    the settlement period are fields; the free days (per-patient model) or the agreed
    average level (average model) per care type and period are ``PaymentAgreementLevel``
    rows, so a level that steps down over time is a new row, not an edit. The law's
    default without an agreement (LUS 5 kap. 3 §: per patient, 3 days after the notice)
    is a row of its own with ``is_statutory_default`` set, used for years no regional
    agreement covers.
    """

    name = models.CharField(_("name"), max_length=200)
    version = models.CharField(_("version"), max_length=40)
    valid_from_year = models.PositiveSmallIntegerField(_("valid from year"))
    valid_to_year = models.PositiveSmallIntegerField(_("valid to year"), null=True, blank=True)
    model = models.CharField(
        _("payment model"),
        max_length=12,
        choices=PaymentModel.choices,
        default=PaymentModel.PER_PATIENT,
    )
    day_count = models.CharField(
        _("days counted as"), max_length=10, choices=DayCount.choices, default=DayCount.CALENDAR
    )
    settlement_months = models.PositiveSmallIntegerField(
        _("settlement period (months)"),
        default=1,
        choices=[(1, _("Month")), (3, _("Quarter")), (6, _("Half year")), (12, _("Year"))],
        help_text=_("The average model compares the mean over this period with the level."),
    )
    cutoff_time = models.TimeField(
        _("cut-off time"),
        null=True,
        blank=True,
        help_text=_("A notice before this time makes its own day day 0; empty: always."),
    )
    is_statutory_default = models.BooleanField(_("the law's default"), default=False)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["-valid_from_year", "version"]
        verbose_name = _("payment agreement")
        verbose_name_plural = _("payment agreements")
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="payment_agreement_version"),
            models.CheckConstraint(
                condition=models.Q(valid_to_year__isnull=True)
                | models.Q(valid_to_year__gte=models.F("valid_from_year")),
                name="payment_agreement_years_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.version}"

    @property
    def working_days(self) -> bool:
        return self.day_count == DayCount.WORKING

    def level_on(self, care_type: str, day):
        """The ``PaymentAgreementLevel`` in force for ``care_type`` on ``day``, or None."""
        return (
            self.levels.filter(care_type=care_type, valid_from_date__lte=day)
            .filter(models.Q(valid_to_date__isnull=True) | models.Q(valid_to_date__gte=day))
            .order_by("-valid_from_date")
            .first()
        )


class PaymentAgreementLevel(models.Model):
    """Free days (per-patient model) or the agreed mean (average model) for one care
    type from one date: the Stockholm agreement lowers its levels in stages (research
    P5), each stage a row. Periods of one agreement and care type must not overlap
    (``workflows.discharge.services.payment_agreement_level_add``)."""

    agreement = models.ForeignKey(
        PaymentAgreement,
        verbose_name=_("payment agreement"),
        on_delete=models.CASCADE,
        related_name="levels",
    )
    care_type = models.CharField(_("care type"), max_length=12, choices=CareType.choices)
    valid_from_date = models.DateField(_("valid from"))
    valid_to_date = models.DateField(_("valid to"), null=True, blank=True)
    level = models.DecimalField(
        _("free days or average level"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Per-patient model: free days after day 0. Average model: agreed mean."),
    )

    class Meta:
        ordering = ["agreement", "care_type", "valid_from_date"]
        verbose_name = _("level of payment agreement")
        verbose_name_plural = _("levels of payment agreement")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "care_type", "valid_from_date"],
                name="payment_level_one_per_start",
            ),
            models.CheckConstraint(condition=models.Q(level__gte=0), name="payment_level_positive"),
            models.CheckConstraint(
                condition=models.Q(valid_to_date__isnull=True)
                | models.Q(valid_to_date__gte=models.F("valid_from_date")),
                name="payment_level_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.get_care_type_display()} {self.valid_from_date:%Y-%m-%d}: {self.level}"


class PaymentDayRate(models.Model):
    """Socialstyrelsen's amount per vårddygn for a year, in whole kronor: one national
    amount for somatic and psychiatric care, set each year in HSLF-FS under förordning
    (2017:617) (research P1, P2). Entered by an administrator from the föreskrift; a
    year without a row has no amount, which is shown, never taken as 0."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    amount_sek = models.PositiveIntegerField(_("amount per day (SEK)"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    confirmed = models.BooleanField(
        _("confirmed against the regulation"),
        default=True,
        help_text=_("Unconfirmed amounts are shown as such on every figure."),
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["year"]
        verbose_name = _("payment per day")
        verbose_name_plural = _("payments per day")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_sek__gt=0), name="payment_rate_positive"
            ),
        ]

    def __str__(self):
        return f"{self.year}: {self.amount_sek} kr"


class PlanningBasis(models.Model):
    """Planeringsunderlag: what the ward knows of the patient's state and needs, sent
    to the units that plan the interventions (the Stockholm routine's planning step:
    slutenvården provides a planning basis on the patient's care and omsorg needs,
    DOMAIN.md §1.3 step 3). Every version is kept; each unit acknowledges the one in
    force, like the other LUS messages."""

    process = models.ForeignKey(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="planning_bases",
    )
    number = models.PositiveIntegerField(_("version"))
    medical_state = models.TextField(_("medical state"))
    functional_ability = models.TextField(_("functional ability"))
    care_needs = models.TextField(_("needs for care and support after discharge"))
    other = models.TextField(_("other information for the planning"), blank=True)
    written_at = models.DateTimeField(_("written"), default=timezone.now)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["process", "-number"]
        verbose_name = _("planning basis")
        verbose_name_plural = _("planning bases")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "number"], name="discharge_planning_basis_version"
            ),
        ]

    def __str__(self):
        return f"{self.process} v{self.number}"


class PlanningBasisAck(models.Model):
    """A unit's acknowledgement of one version of the planning basis."""

    basis = models.ForeignKey(
        PlanningBasis,
        verbose_name=_("planning basis"),
        on_delete=models.CASCADE,
        related_name="acks",
    )
    unit = models.ForeignKey(
        "DischargeUnit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(_("acknowledged"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["basis", "at", "pk"]
        verbose_name = _("acknowledgement of a planning basis")
        verbose_name_plural = _("acknowledgements of planning bases")
        constraints = [
            models.UniqueConstraint(fields=["basis", "unit"], name="discharge_basis_ack_once"),
        ]

    def __str__(self):
        return f"{self.basis}: {self.unit}"


class DischargeInformation(models.Model):
    """The information at discharge, with its content, no later than the day of
    discharge (DOMAIN.md §1.3 step 6): what the units need to give socialtjänst or
    hälso- och sjukvård, the medicines until the pharmacy or APO-dos takes over and the
    aids the ward answers for (the Stockholm checklist), and the written information to
    the individual, printable with the name of the fast vårdkontakt."""

    process = models.OneToOneField(
        DischargeProcess,
        verbose_name=_("discharge"),
        on_delete=models.CASCADE,
        related_name="information",
    )
    status_at_discharge = models.TextField(_("status at discharge"))
    medication_list = models.TextField(_("medication list"))
    aids = models.TextField(_("aids"), blank=True)
    letter_to_individual = models.TextField(_("letter to the individual"))
    written_at = models.DateTimeField(_("written"), default=timezone.now)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("information at discharge")
        verbose_name_plural = _("information at discharge")

    def __str__(self):
        return str(self.process)


class DischargeInformationAck(models.Model):
    """A unit's acknowledgement of the information at discharge, as written at
    ``written_at`` (a correction asks every unit again)."""

    information = models.ForeignKey(
        DischargeInformation,
        verbose_name=_("information at discharge"),
        on_delete=models.CASCADE,
        related_name="acks",
    )
    unit = models.ForeignKey(
        "DischargeUnit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    written_at = models.DateTimeField(_("version acknowledged"))
    at = models.DateTimeField(_("acknowledged"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["information", "at", "pk"]
        verbose_name = _("acknowledgement of the information at discharge")
        verbose_name_plural = _("acknowledgements of the information at discharge")
        constraints = [
            models.UniqueConstraint(
                fields=["information", "unit", "written_at"], name="discharge_information_ack_once"
            ),
        ]

    def __str__(self):
        return f"{self.information}: {self.unit}"
