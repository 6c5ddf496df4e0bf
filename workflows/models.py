"""What is due, by whom, when: the Deadline rows that the flows create and meet and
that ``workflows.tasks.sweep_deadlines`` watches."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.models import Organisation

from .escalation import kind_label


class Deadline(models.Model):
    """One obligation of one party in one process.

    Created and met only by the services in ``workflows.services`` (called from flow
    nodes), never by views. ``next_action_at`` is when the sweep takes the next rung
    of the escalation ladder for this kind; None means nothing more to do.
    """

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        MET = "MET", _("Met")
        BREACHED = "BREACHED", _("Breached")
        CANCELLED = "CANCELLED", _("Cancelled")

    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("process"),
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject_key = models.CharField(
        _("subject"),
        max_length=80,
        blank=True,
        help_text=_(
            "Distinguishes several deadlines of one kind in a process, e.g. per invitation."
        ),
    )
    responsible_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("responsible organisation"),
        on_delete=models.PROTECT,
        related_name="deadlines",
    )
    # No index on the two user columns: nothing looks deadlines up by them, and every
    # index costs the sweep a write per rung (bench/SWEEP.md).
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        verbose_name=_("responsible person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_action_at = models.DateTimeField(_("next action"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,
        verbose_name=_("met by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "kind", "responsible_organisation", "subject_key"],
                condition=models.Q(status="OPEN"),
                name="deadline_one_open_per_obligation",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="MET") | models.Q(met_at__isnull=False),
                name="deadline_met_has_time",
            ),
        ]
        indexes = [
            # The sweep's only query: open deadlines whose next action has come.
            models.Index(
                fields=["next_action_at"],
                condition=models.Q(status="OPEN"),
                name="deadline_sweep_idx",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.kind_label} – {self.responsible_organisation}"

    @property
    def kind_label(self) -> str:

        return kind_label(self.kind)

    @property
    def is_late(self) -> bool:
        """Met after the due time, or not met and past it."""
        if self.status == self.Status.MET:
            return self.met_at > self.due_at
        if self.status == self.Status.CANCELLED:
            return False
        return timezone.now() > self.due_at

    @property
    def display_state(self) -> str:
        """OPEN, OVERDUE, MET, MET_LATE, BREACHED or CANCELLED, for the timeline."""
        if self.status == self.Status.MET:
            return "MET_LATE" if self.is_late else "MET"
        if self.status == self.Status.OPEN and self.is_late:
            return "OVERDUE"
        return self.status


class DeadlineEvent(models.Model):
    """What happened to a deadline: opened, reminded, escalated, breached, met…"""

    class Kind(models.TextChoices):
        OPENED = "OPENED", _("Opened")
        REMINDED = "REMINDED", _("Reminder sent")
        ESCALATED = "ESCALATED", _("Escalated")
        BREACHED = "BREACHED", _("Breached")
        MET = "MET", _("Met")
        CANCELLED = "CANCELLED", _("Cancelled")

    deadline = models.ForeignKey(
        Deadline, verbose_name=_("deadline"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("deadline event")
        verbose_name_plural = _("deadline events")

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Heartbeat(models.Model):
    """The last sign of life of a periodic part: beat's tick, the last finished sweep.

    One row per name, overwritten in place. Read by ``/health/ready``, ``/metrics`` and
    by beat itself, which logs an ERROR line when the sweep is late (a worker that died
    or a queue nobody consumes): the sweep must not depend on one worker staying alive
    unnoticed.
    """

    class Name(models.TextChoices):
        BEAT = "BEAT", _("Celery beat")
        SWEEP = "SWEEP", _("Deadline sweep")

    name = models.CharField(_("name"), max_length=20, choices=Name.choices, primary_key=True)
    at = models.DateTimeField(_("last seen"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
