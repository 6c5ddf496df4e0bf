"""Deviations (samverkansavvikelser): a process between two organisations with its own
state machine. The rules for who may act are in ``workflows.deviations.rules``; the
services in ``workflows.deviations.services`` are the only writers (DOMAIN §3).

The tables keep the names they were created with (``coordination_deviation``,
``coordination_deviationevent``): the models moved here from the registry without
copying a row (migration ``deviations.0001_initial``)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from coordination.models import Organisation

from . import rules


def _deviation_rule(name):
    """A transition permission: ``rules.<name>(deviation, user)``."""

    def check(instance, user):
        return getattr(rules, name)(instance, user)

    check.__name__ = name
    return check


class Deviation(FSMModelMixin, models.Model):
    """A samverkansavvikelse: one party did not meet its commitment to another.

    DRAFT → REPORTED (sent to the receiving organisation) → ANSWERED (its explanation
    and measures) → CLOSED (the reporter's or the MAS's assessment); DRAFT → DISMISSED
    (with a reason). A closed deviation can be REOPENED, which asks the receiver for a
    new answer (REOPENED → ANSWERED → CLOSED again). Every transition writes a
    ``DeviationEvent``. Suggested record: DOMAIN §3.4; the answer time defaults to the
    Göteborg figure of 60 days (§3.3) from ``settings.DEVIATION_ANSWER_DAYS``.
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        REPORTED = "REPORTED", _("Reported")
        ANSWERED = "ANSWERED", _("Answered")
        CLOSED = "CLOSED", _("Closed")
        DISMISSED = "DISMISSED", _("Dismissed")
        REOPENED = "REOPENED", _("Reopened")

    class Category(models.TextChoices):
        INSKRIVNINGSMEDDELANDE_LATE = (
            "INSKRIVNINGSMEDDELANDE_LATE",
            _("Admission notice missing or late"),
        )
        INSKRIVNING_NOT_ACKNOWLEDGED = (
            "INSKRIVNING_NOT_ACKNOWLEDGED",
            _("Admission notice not acknowledged"),
        )
        PLANNING_NOT_UPDATED = "PLANNING_NOT_UPDATED", _("Planning information not updated")
        UTSKRIVNINGSKLAR_MISSING = (
            "UTSKRIVNINGSKLAR_MISSING",
            _("Ready-for-discharge notice missing, late or wrong"),
        )
        UTSKRIVNINGSKLAR_NOT_ACKNOWLEDGED = (
            "UTSKRIVNINGSKLAR_NOT_ACKNOWLEDGED",
            _("Ready-for-discharge notice not acknowledged"),
        )
        FAST_VARDKONTAKT_MISSING = (
            "FAST_VARDKONTAKT_MISSING",
            _("Designated care contact not appointed"),
        )
        SIP_INVITATION_LATE = "SIP_INVITATION_LATE", _("Invitation to SIP missing or late")
        SIP_PARTICIPANT_ABSENT = "SIP_PARTICIPANT_ABSENT", _("Invited party absent from SIP")
        INVITATION_NOT_ANSWERED = "INVITATION_NOT_ANSWERED", _("Invitation to SIP not answered")
        SIP_FOLLOW_UP_MISSING = "SIP_FOLLOW_UP_MISSING", _("SIP not followed up")
        SIP_CONSENT_LAPSED = (
            "SIP_CONSENT_LAPSED",
            _("Guardians' consent lapsed at 18 without the individual's own"),
        )
        SIP_INTERVENTION_NOT_DELIVERED = (
            "SIP_INTERVENTION_NOT_DELIVERED",
            _("Agreed SIP intervention not delivered"),
        )
        DISCHARGE_INFORMATION_MISSING = (
            "DISCHARGE_INFORMATION_MISSING",
            _("Information missing at discharge"),
        )
        MEDICATION_LIST_MISSING = "MEDICATION_LIST_MISSING", _("Medication list missing")
        AIDS_MISSING = "AIDS_MISSING", _("Aids missing at discharge")
        DISCHARGED_BEFORE_PLANNING = (
            "DISCHARGED_BEFORE_PLANNING",
            _("Discharged before planning was done"),
        )
        UNIT_NOT_REACHABLE = (
            "UNIT_NOT_REACHABLE",
            _("Wrong recipient or unit not connected to the IT support"),
        )
        OTHER = "OTHER", _("Other")

    class Step(models.TextChoices):
        INSKRIVNING = "INSKRIVNING", _("Admission notice")
        FAST_VARDKONTAKT = "FAST_VARDKONTAKT", _("Designated care contact")
        PLANERING = "PLANERING", _("Planning during the stay")
        UTSKRIVNINGSKLAR = "UTSKRIVNINGSKLAR", _("Ready for discharge")
        SIP_KALLELSE = "SIP_KALLELSE", _("Invitation to SIP")
        SIP_MOTE = "SIP_MOTE", _("SIP meeting")
        UTSKRIVNING = "UTSKRIVNING", _("Discharge")
        SIP_UPPFOLJNING = "SIP_UPPFOLJNING", _("SIP follow-up")
        OTHER = "OTHER", _("Other")

    class Harm(models.TextChoices):
        NO = "NO", _("No care injury")
        RISK = "RISK", _("Risk of care injury")
        YES = "YES", _("Care injury")

    class Level(models.TextChoices):
        CASE = "CASE", _("Single case")
        SYSTEMIC = "SYSTEMIC", _("Systemic")

    class Source(models.TextChoices):
        MANUAL = "MANUAL", _("Reported by hand")
        DEADLINE = "DEADLINE", _("Breached deadline")
        SIP_ABSENCE = "SIP_ABSENCE", _("SIP attendance")

    status = FSMField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, protected=True
    )
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    process_step = models.CharField(
        _("step"), max_length=20, choices=Step.choices, default=Step.OTHER
    )
    deadline = models.ForeignKey(
        "workflows.Deadline",
        verbose_name=_("missed deadline"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deviations",
    )
    reporting_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="deviations_reported",
    )
    receiving_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("receiving organisation"),
        on_delete=models.PROTECT,
        related_name="deviations_received",
    )
    description = models.TextField(_("description"), blank=True)
    harm = models.CharField(
        _("care injury"),
        max_length=4,
        choices=Harm.choices,
        blank=True,
        help_text=_("Assessed by the reporter before the deviation is sent."),
    )
    lex_maria_assessment = models.BooleanField(
        _("possible Lex Maria: to be assessed by the MAS"), default=False
    )
    lex_sarah_assessment = models.BooleanField(
        _("possible Lex Sarah: to be assessed"), default=False
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.CASE)
    source = models.CharField(
        _("source"), max_length=12, choices=Source.choices, default=Source.MANUAL
    )
    cause_key = models.CharField(
        _("cause"),
        max_length=120,
        blank=True,
        help_text=_("What an automatic draft came from; one deviation per cause."),
    )
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)
    answer_due_date = models.DateField(_("answer due"), null=True, blank=True)
    answer_explanation = models.TextField(_("explanation"), blank=True)
    answer_measures = models.TextField(_("measures taken or planned"), blank=True)
    assessment = models.TextField(_("assessment"), blank=True)
    dismissal_reason = models.TextField(_("reason for dismissal"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        db_table = "coordination_deviation"
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"],
                condition=~models.Q(cause_key=""),
                name="deviation_one_per_cause",
            ),
            models.CheckConstraint(
                condition=~models.Q(reporting_organisation=models.F("receiving_organisation")),
                name="deviation_between_two_organisations",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="DISMISSED") | ~models.Q(dismissal_reason=""),
                name="deviation_dismissal_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["receiving_organisation", "status"], name="deviation_receiver_idx"
            ),
            models.Index(
                fields=["reporting_organisation", "status"], name="deviation_reporter_idx"
            ),
            models.Index(fields=["occurred_at"], name="deviation_occurred_idx"),
            # The daily reminder's only query: answers still awaited, by due date.
            models.Index(
                fields=["answer_due_date"],
                condition=models.Q(status__in=["REPORTED", "REOPENED"]),
                name="deviation_awaiting_answer_idx",
            ),
        ]

    def __str__(self):
        return str(_("Deviation #%(pk)s") % {"pk": self.pk})

    def get_absolute_url(self):
        return reverse("deviations:deviation_detail", args=[self.pk])

    @property
    def is_awaiting_answer(self) -> bool:
        return self.status in (self.Status.REPORTED, self.Status.REOPENED)

    def answer_overdue_on(self, day) -> bool:
        """True when the answer is awaited and its due date lies before ``day``."""
        return (
            self.is_awaiting_answer
            and self.answer_due_date is not None
            and self.answer_due_date < day
        )

    # --- Transitions: the services set the fields, call one of these, save and write
    # the DeviationEvent (workflows.deviations.services._apply).

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.REPORTED,
        conditions=[lambda d: bool(d.harm) and bool(d.description.strip())],
        permission=_deviation_rule("may_act_for_reporter"),
        custom={"label": _("Send to the receiving organisation")},
    )
    def report(self):
        """Sent to the receiving organisation, which must answer."""

    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.DISMISSED,
        conditions=[lambda d: bool(d.dismissal_reason.strip())],
        permission=_deviation_rule("may_act_for_reporter"),
        custom={"label": _("Dismiss")},
    )
    def dismiss(self):
        """Not a deviation after all (e.g. a justified delay); the reason is kept."""

    @transition(
        field=status,
        source=[Status.REPORTED, Status.REOPENED],
        target=Status.ANSWERED,
        conditions=[lambda d: bool(d.answer_explanation.strip())],
        permission=_deviation_rule("may_act_for_receiver"),
        custom={"label": _("Answer")},
    )
    def answer(self):
        """The receiver's explanation and measures."""

    @transition(
        field=status,
        source=Status.ANSWERED,
        target=Status.CLOSED,
        conditions=[lambda d: bool(d.assessment.strip())],
        permission=_deviation_rule("may_act_for_reporter"),
        custom={"label": _("Close")},
    )
    def close(self):
        """The reporter or the MAS has assessed the answer."""

    @transition(
        field=status,
        source=Status.CLOSED,
        target=Status.REOPENED,
        permission=_deviation_rule("may_act_for_reporter"),
        custom={"label": _("Reopen")},
    )
    def reopen(self):
        """The measures did not hold: the receiver is asked for a new answer."""


class DeviationEvent(models.Model):
    """One step in a deviation's history: who, when, from → to, and why."""

    class Kind(models.TextChoices):
        CREATED = "CREATED", _("Created")
        EDITED = "EDITED", _("Draft changed")
        REPORTED = "REPORTED", _("Reported")
        ANSWERED = "ANSWERED", _("Answered")
        CLOSED = "CLOSED", _("Closed")
        DISMISSED = "DISMISSED", _("Dismissed")
        REOPENED = "REOPENED", _("Reopened")
        REMINDED = "REMINDED", _("Reminder about a late answer")

    deviation = models.ForeignKey(
        Deviation, verbose_name=_("deviation"), on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    from_status = models.CharField(
        _("from"), max_length=12, choices=Deviation.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=Deviation.Status.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("acting for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        db_table = "coordination_deviationevent"
        verbose_name = _("deviation event")
        verbose_name_plural = _("deviation events")
        indexes = [models.Index(fields=["deviation", "at"], name="deviation_event_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
