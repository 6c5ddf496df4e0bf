"""SIP (samordnad individuell plan): the process, its meetings, invitations and plans.

SoL 2 kap. 7 § / HSL 16 kap. 4 §: kommun and region draw up a plan together when a person
needs interventions from both, with the person's consent (DOMAIN.md §2).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition
from viewflow.workflow.models import Process

from coordination.models import Huvudman, Individual, Organisation, RelatedPerson
from workflows.changed_fields import SavesChangedFieldsMixin

LEAD_CHOICES = [
    (Huvudman.KOMMUN, Huvudman.KOMMUN.label),
    (Huvudman.REGION, Huvudman.REGION.label),
]


class SipProcess(SavesChangedFieldsMixin, FSMModelMixin, Process):
    """One SIP for one individual, from initiation to closure.

    ``stage`` changes only through the transitions below, each called by one service
    that records a ``SipEvent``::

        CONSENT ─► INVITATION ─► MEETING ─► PLAN ─► FOLLOW_UP ─► CLOSED
           │                                  ▲          │
           └─► CONSENT_DECLINED               └──────────┘ (revise the plan)
        INVITATION … CLOSED ─► CONSENT_REVOKED;  any stage ─► WITHDRAWN

    Recording the meeting again stays in PLAN; a new plan version before the
    follow-up stays in FOLLOW_UP.
    """

    class Stage(models.TextChoices):
        CONSENT = "CONSENT", _("Awaiting consent")
        INVITATION = "INVITATION", _("Invitation")
        MEETING = "MEETING", _("Meeting planned")
        PLAN = "PLAN", _("Plan being written")
        FOLLOW_UP = "FOLLOW_UP", _("Follow-up")
        CLOSED = "CLOSED", _("Closed")
        CONSENT_DECLINED = "CONSENT_DECLINED", _("Consent declined")
        CONSENT_REVOKED = "CONSENT_REVOKED", _("Consent revoked")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn (registered in error)")

    individual = models.ForeignKey(
        Individual, verbose_name=_("individual"), on_delete=models.PROTECT, related_name="sips"
    )
    initiating_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("initiating organisation"),
        on_delete=models.PROTECT,
        related_name="initiated_sips",
    )
    # The discharge (LUS) this SIP was called from; the discharge app's model is not
    # imported here so the two apps stay independent.
    origin_discharge = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("from discharge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sips_from_discharge",
    )
    reason = models.TextField(_("reason and questions for the meeting"), blank=True)
    participants = models.ManyToManyField(
        Organisation,
        verbose_name=_("participating organisations"),
        blank=True,
        related_name="sips",
    )
    lead_huvudman = models.CharField(
        _("principal with overall responsibility"),
        max_length=10,
        choices=LEAD_CHOICES,
        blank=True,
    )
    lead_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consent = models.ForeignKey(
        "coordination.Consent",
        verbose_name=_("consent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sips",
    )
    stage = FSMField(
        _("status"), max_length=20, choices=Stage.choices, default=Stage.CONSENT, protected=True
    )
    closed_reason = models.TextField(_("reason for ending"), blank=True)
    # Makulering: a SIP registered in error is withdrawn, never deleted.
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("SIP")
        verbose_name_plural = _("SIPs")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(stage="WITHDRAWN")
                | (models.Q(withdrawn_at__isnull=False) & ~models.Q(withdrawal_reason="")),
                name="sip_withdrawal_has_time_and_reason",
            ),
        ]

    def __str__(self):
        return f"SIP #{self.pk}"

    def get_absolute_url(self):
        return reverse("sips:sip_detail", args=[self.pk])

    @classmethod
    def participants_prefetch(cls, queryset):
        """``queryset`` loading what ``participating_organisations`` reads, for many
        cases in a fixed number of queries (the sweep's recipients)."""
        return queryset.select_related("initiating_organisation__area__parent").prefetch_related(
            models.Prefetch(
                "participants", queryset=Organisation.objects.select_related("area__parent")
            )
        )

    def participating_organisations(self) -> list[Organisation]:
        """The initiating organisation first, then every invited or added organisation."""
        organisations = [self.initiating_organisation]
        for organisation in self.participants.all():
            if organisation not in organisations:
                organisations.append(organisation)
        return organisations

    # --- Stages (each transition writes a SipEvent in the service) ---------------------

    @transition(field=stage, source=Stage.CONSENT, target=Stage.INVITATION)
    def give_consent(self):
        """The consent the plan needs was given (SoL 2 kap. 7 §)."""

    @transition(field=stage, source=Stage.CONSENT, target=Stage.CONSENT_DECLINED)
    def decline_consent(self):
        """The person declined: no plan is drawn up."""

    @transition(field=stage, source=Stage.INVITATION, target=Stage.MEETING)
    def schedule_meeting(self):
        """The meeting is planned and the participants invited."""

    @transition(field=stage, source=[Stage.MEETING, Stage.PLAN], target=Stage.PLAN)
    def hold_meeting(self):
        """The meeting was held (or its attendance corrected); the plan is written next."""

    @transition(field=stage, source=[Stage.PLAN, Stage.FOLLOW_UP], target=Stage.FOLLOW_UP)
    def save_plan(self):
        """A plan version was saved; it is followed up on its date. A new version
        before the follow-up moves the follow-up date."""

    @transition(field=stage, source=Stage.FOLLOW_UP, target=Stage.PLAN)
    def revise_plan(self):
        """The follow-up found that the plan needs a new version."""

    @transition(field=stage, source=Stage.FOLLOW_UP, target=Stage.CLOSED)
    def close(self):
        """The follow-up closed the SIP."""

    @transition(
        field=stage,
        source=[Stage.INVITATION, Stage.MEETING, Stage.PLAN, Stage.FOLLOW_UP, Stage.CLOSED],
        target=Stage.CONSENT_REVOKED,
    )
    def revoke_consent(self):
        """The person withdrew the consent: sharing stops at once (DOMAIN.md §2.3)."""

    @transition(
        field=stage,
        source=[
            Stage.CONSENT,
            Stage.INVITATION,
            Stage.MEETING,
            Stage.PLAN,
            Stage.FOLLOW_UP,
            Stage.CLOSED,
            Stage.CONSENT_DECLINED,
            Stage.CONSENT_REVOKED,
        ],
        target=Stage.WITHDRAWN,
    )
    def withdraw(self):
        """Registered in error (makulering): the record stays, marked withdrawn."""

    @property
    def consent_in_force(self) -> bool:
        return self.consent is not None and self.consent.is_in_force

    @property
    def is_withdrawn(self) -> bool:
        return self.stage == self.Stage.WITHDRAWN

    @property
    def sharing_stopped(self) -> bool:
        """A declined or revoked consent, or a withdrawal, stops every invitation and
        email at once."""
        return self.stage in (
            self.Stage.CONSENT_DECLINED,
            self.Stage.CONSENT_REVOKED,
            self.Stage.WITHDRAWN,
        ) or (self.consent is not None and not self.consent.is_in_force)

    @property
    def is_child(self) -> bool:
        birth = self.individual.birth_date
        today = timezone.localdate()
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        return age < 18


class SipEvent(models.Model):
    """The SIP's history: consent, meetings, attendance, plan versions, closure."""

    class Kind(models.TextChoices):
        INITIATED = "INITIATED", _("SIP initiated")
        CONSENT_GIVEN = "CONSENT_GIVEN", _("Consent given")
        CONSENT_DECLINED = "CONSENT_DECLINED", _("Consent declined")
        CONSENT_REVOKED = "CONSENT_REVOKED", _("Consent revoked")
        MEETING_SCHEDULED = "MEETING_SCHEDULED", _("Meeting scheduled")
        SECOND_CHANNEL = "SECOND_CHANNEL", _("Second channel used")
        MEETING_HELD = "MEETING_HELD", _("Meeting held")
        PLAN_VERSION = "PLAN_VERSION", _("Plan version saved")
        PLAN_APPROVED = "PLAN_APPROVED", _("Plan approved")
        FOLLOW_UP_REVISE = "FOLLOW_UP_REVISE", _("Follow-up: plan to be revised")
        CLOSED = "CLOSED", _("SIP closed")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn (registered in error)")

    sip = models.ForeignKey(
        SipProcess, verbose_name=_("SIP"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("SIP event")
        verbose_name_plural = _("SIP events")

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Meeting(models.Model):
    """A SIP meeting (the first one or a follow-up) and where it takes place."""

    sip = models.ForeignKey(
        SipProcess, verbose_name=_("SIP"), on_delete=models.CASCADE, related_name="meetings"
    )
    starts_at = models.DateTimeField(_("meeting time"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    meeting_link = models.URLField(_("secure digital meeting link"), blank=True)
    phone = models.CharField(_("phone for the meeting"), max_length=40, blank=True)
    # The individual's or a närstående's need of an interpreter (förvaltningslagen 13 §,
    # patientlagen 3 kap. 7 §): shown on the SIP page to the participants, never in email.
    interpreter_language = models.CharField(
        _("interpreter needed (language)"), max_length=100, blank=True
    )
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            # The MAS dashboard: SIPs of a kommun with a meeting held in the period.
            models.Index(fields=["sip", "held_at"], name="sip_meeting_held_idx"),
        ]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(place="", meeting_link="", phone=""),
                name="sip_meeting_has_a_place",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.starts_at:%Y-%m-%d %H:%M}"


class Invitation(FSMModelMixin, models.Model):
    """One participant's invitation (kallelse) to one meeting.

    DRAFT → SENT → ACKNOWLEDGED → ACCEPTED | DECLINED, and SENT → UNDELIVERABLE. An
    organisation that the planning IT support may not reach (reachability NO or
    UNKNOWN) needs a second channel (functional mailbox or a logged phone call)
    before the invitation counts as sent (DOMAIN.md §2.4, "falls between chairs").
    """

    class State(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        SENT = "SENT", _("Sent, not answered")
        ACKNOWLEDGED = "ACKNOWLEDGED", _("Acknowledged")
        ACCEPTED = "ACCEPTED", _("Accepted")
        DECLINED = "DECLINED", _("Declined")
        UNDELIVERABLE = "UNDELIVERABLE", _("Undeliverable")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn with the SIP")

    class Kind(models.TextChoices):
        ORGANISATION = "ORGANISATION", _("Organisation")
        STAFF = "STAFF", _("Named staff member")
        INDIVIDUAL = "INDIVIDUAL", _("The individual")
        RELATED_PERSON = "RELATED_PERSON", _("Next of kin")

    class Channel(models.TextChoices):
        SYSTEM = "SYSTEM", _("Planning IT support")
        EMAIL = "EMAIL", _("Email")
        FUNCTIONAL_MAILBOX = "FUNCTIONAL_MAILBOX", _("Functional mailbox email")
        PHONE = "PHONE", _("Phone call")
        LETTER = "LETTER", _("Letter or in person")

    class Attendance(models.TextChoices):
        ATTENDED = "ATTENDED", _("Attended")
        ABSENT = "ABSENT", _("Absent")
        ATTENDED_LATE = "ATTENDED_LATE", _("Attended late")
        REPLACED = "REPLACED", _("Sent a replacement")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="invitations"
    )
    kind = models.CharField(_("participant"), max_length=20, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sip_invitations",
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sip_invitations",
    )
    related_person = models.ForeignKey(
        RelatedPerson,
        verbose_name=_("next of kin"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sip_invitations",
    )
    email = models.EmailField(_("email"), blank=True)
    state = FSMField(
        _("state"), default=State.DRAFT, choices=State.choices, protected=True, max_length=20
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    needs_second_channel = models.BooleanField(_("needs a second channel"), default=False)
    second_channel = models.CharField(
        _("second channel"), max_length=20, choices=Channel.choices, blank=True
    )
    second_channel_at = models.DateTimeField(_("second channel used"), null=True, blank=True)
    second_channel_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second channel used by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    second_channel_note = models.CharField(_("second channel note"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    # Facts for the deviation register (DOMAIN.md §2.8): a called party that never
    # answered before the meeting, or did not come.
    unanswered_at_meeting = models.BooleanField(_("not answered at meeting time"), default=False)
    attendance = models.CharField(
        _("attendance"), max_length=20, choices=Attendance.choices, blank=True
    )
    attendance_note = models.CharField(_("attendance note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["meeting", "kind", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organisation"],
                condition=models.Q(kind="ORGANISATION"),
                name="sip_invitation_one_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["meeting", "staff_user"],
                condition=models.Q(kind="STAFF"),
                name="sip_invitation_one_per_staff",
            ),
            models.UniqueConstraint(
                fields=["meeting", "related_person"],
                condition=models.Q(kind="RELATED_PERSON"),
                name="sip_invitation_one_per_related_person",
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(kind="INDIVIDUAL"),
                name="sip_invitation_one_for_individual",
            ),
        ]
        indexes = [
            models.Index(fields=["attendance"], name="sip_invitation_attendance_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.participant_label}"

    @property
    def sip(self) -> SipProcess:
        return self.meeting.sip

    @property
    def is_summoned(self) -> bool:
        """Kallad: an organisation or staff member that takes part as a principal's
        unit (SoL 2 kap. 7 §, HSL 16 kap. 4 §: the principals draw up the plan together).
        Otherwise inbjuden: the individual, närstående and others invited, who take
        part as they wish."""
        return self.kind in (self.Kind.ORGANISATION, self.Kind.STAFF)

    @property
    def participant_label(self) -> str:
        """What staff see; never the individual's name in lists (protected identity)."""
        if self.kind == self.Kind.ORGANISATION:
            return str(self.organisation)
        if self.kind == self.Kind.STAFF:
            return self.staff_user.get_full_name() or self.staff_user.get_username()
        if self.kind == self.Kind.RELATED_PERSON:
            return str(self.related_person)
        return str(_("The individual"))

    @property
    def is_unanswered(self) -> bool:
        """Sent (or stuck) with no answer: what the overview must make impossible to miss."""
        return self.state in (self.State.DRAFT, self.State.SENT, self.State.UNDELIVERABLE)

    @property
    def second_channel_missing(self) -> bool:
        return self.needs_second_channel and self.second_channel_at is None

    def _second_channel_done(self) -> bool:
        return not self.second_channel_missing

    @transition(
        field=state, source=State.DRAFT, target=State.SENT, conditions=[_second_channel_done]
    )
    def send(self):
        self.sent_at = timezone.now()

    @transition(field=state, source=State.SENT, target=State.ACKNOWLEDGED)
    def acknowledge(self):
        self.acknowledged_at = timezone.now()

    @transition(field=state, source=State.ACKNOWLEDGED, target=State.ACCEPTED)
    def accept(self):
        self.answered_at = timezone.now()

    @transition(field=state, source=State.ACKNOWLEDGED, target=State.DECLINED)
    def decline(self, reason: str):
        self.answered_at = timezone.now()
        self.decline_reason = reason

    @transition(
        field=state,
        source=[State.DRAFT, State.SENT, State.ACKNOWLEDGED, State.ACCEPTED, State.UNDELIVERABLE],
        target=State.WITHDRAWN,
    )
    def withdraw(self):
        """The SIP was registered in error and withdrawn: the invitation no longer holds."""

    @transition(field=state, source=State.SENT, target=State.UNDELIVERABLE)
    def mark_undeliverable(self):
        pass


class InvitationEvent(models.Model):
    """One transition of one invitation: who (or the participant via the link), when,
    from → to, why, and the channel."""

    invitation = models.ForeignKey(
        Invitation, verbose_name=_("invitation"), on_delete=models.CASCADE, related_name="events"
    )
    from_state = models.CharField(_("from"), max_length=20, choices=Invitation.State.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=Invitation.State.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    via_link = models.BooleanField(_("by the participant via the link"), default=False)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Invitation.Channel.choices, blank=True
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("invitation event")
        verbose_name_plural = _("invitation events")

    def __str__(self):
        return f"{self.from_state} → {self.to_state}"


class PlanVersion(models.Model):
    """One version of the plan; a revision adds a new version, none is overwritten.

    The law's minimum content (SoL 2 kap. 7 §, HSL 16 kap. 4 §): interventions, which
    huvudman is responsible for which, measures by others, and who has overall
    responsibility; in practice also the person's own goals and a follow-up date.
    """

    sip = models.ForeignKey(
        SipProcess, verbose_name=_("SIP"), on_delete=models.CASCADE, related_name="plan_versions"
    )
    number = models.PositiveIntegerField(_("version"))
    overall_responsibility = models.CharField(
        _("principal with overall responsibility"), max_length=10, choices=LEAD_CHOICES
    )
    lead_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    own_goals = models.TextField(_("the individual's own goals, in their own words"))
    others_actions = models.TextField(
        _("actions by others than the principals (e.g. next of kin)"), blank=True
    )
    follow_up_date = models.DateField(_("follow-up date"))
    # SoL 2 kap. 7 § / HSL 16 kap. 4 §: a SIP coordinates both principals. A plan whose
    # interventions all come from one of them says why (``services.sip_plan_save``).
    one_huvudman_reason = models.TextField(
        _("why only one principal has interventions"), blank=True
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["sip", "-number"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["sip", "number"], name="sip_plan_version_unique"),
        ]

    def __str__(self):
        return f"SIP #{self.sip_id} v{self.number}"

    def get_absolute_url(self):
        return reverse("sips:plan_print", args=[self.sip_id, self.number])


class PlanApproval(models.Model):
    """A participant's approval of one plan version: an organisation taking part, by
    one of its staff, or the individual (recorded by the initiating organisation's
    staff, in the individual's own words if they give any). A new version needs new
    approvals."""

    plan = models.ForeignKey(
        PlanVersion, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="approvals"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_individual = models.BooleanField(_("the individual's approval"), default=False)
    approved_at = models.DateTimeField(_("approved"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "approved_at", "pk"]
        verbose_name = _("plan approval")
        verbose_name_plural = _("plan approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="sip_plan_approval_once_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(by_individual=True),
                name="sip_plan_approval_once_by_individual",
            ),
            models.CheckConstraint(
                condition=models.Q(by_individual=True, organisation__isnull=True)
                | models.Q(by_individual=False, organisation__isnull=False),
                name="sip_plan_approval_one_party",
            ),
        ]

    def __str__(self):
        return f"{self.plan}: {self.organisation or _('the individual')}"


class PlanIntervention(models.Model):
    """What is done, by which organisation, from when."""

    plan = models.ForeignKey(
        PlanVersion, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="interventions"
    )
    description = models.CharField(_("intervention"), max_length=300)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("from"))
    # Who at the organisation answers for the intervention (a name or a role), SoL 2 kap.
    # 7 § / HSL 16 kap. 4 §: the plan says who is responsible for what.
    responsible = models.CharField(_("responsible"), max_length=200, blank=True)

    class Meta:
        ordering = ["plan", "start_date", "pk"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def __str__(self):
        return self.description
