"""Who takes part: areas, organisations, memberships, individuals, consent."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from . import personnummer


class Huvudman(models.TextChoices):
    KOMMUN = "KOMMUN", _("Municipality")
    REGION = "REGION", _("Region")
    PRIVATE = "PRIVATE", _("Private provider")


class Area(models.Model):
    """A kommun, a stadsdelsområde of a kommun, or a region.

    Each area designates its KSA (the kommun's coordinating unit) and GSA (the
    geographically coordinating vårdcentral), who receive escalations.
    """

    class Kind(models.TextChoices):
        KOMMUN = "KOMMUN", _("Municipality")
        STADSDELSOMRADE = "STADSDELSOMRADE", _("City district")
        REGION = "REGION", _("Region")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    ksa = models.ForeignKey(
        "Organisation",
        verbose_name=_("KSA (kommun coordinator)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ksa_for_areas",
    )
    gsa = models.ForeignKey(
        "Organisation",
        verbose_name=_("GSA (coordinating vårdcentral)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gsa_for_areas",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self):
        return self.name

    @property
    def kommun(self):
        """The kommun this area belongs to (itself for a kommun), or None for a region."""
        area = self
        while area is not None and area.kind == self.Kind.STADSDELSOMRADE:
            area = area.parent
        return area if area is not None and area.kind == self.Kind.KOMMUN else None


class Organisation(models.Model):
    """A unit (verksamhet) that takes part in discharges and SIPs.

    ``reachability`` records whether the unit can receive messages in the regional
    planning IT support. UNKNOWN is a fact of its own, never a blank: invitations to
    units that are NO or UNKNOWN need a second channel.
    """

    class Kind(models.TextChoices):
        STADSDELSFORVALTNING = "STADSDELSFORVALTNING", _("City district administration")
        SOCIALTJANST = "SOCIALTJANST", _("Social services (needs assessment)")
        KOMMUNAL_HSV = "KOMMUNAL_HSV", _("Municipal health care")
        HEMTJANST = "HEMTJANST", _("Home care service")
        SABO = "SABO", _("Residential care home")
        VARDCENTRAL = "VARDCENTRAL", _("Primary care centre")
        SJUKHUSAVDELNING = "SJUKHUSAVDELNING", _("Hospital ward")
        GERIATRIK = "GERIATRIK", _("Geriatric clinic")
        PSYKIATRI = "PSYKIATRI", _("Psychiatric clinic")
        PSYKIATRI_OPPENVARD = "PSYKIATRI_OPPENVARD", _("Psychiatric outpatient clinic")
        ASIH = "ASIH", _("Advanced home health care (ASIH)")
        SJUKHUS = "SJUKHUS", _("Hospital")
        KOMMUNLEDNING = "KOMMUNLEDNING", _("Municipal administration")
        OTHER = "OTHER", _("Other")

    class Reachability(models.TextChoices):
        YES = "YES", _("Yes")
        NO = "NO", _("No")
        UNKNOWN = "UNKNOWN", _("Unknown")

    name = models.CharField(_("name"), max_length=200)
    hsa_id = models.CharField(_("HSA id"), max_length=64, blank=True)
    huvudman = models.CharField(_("principal"), max_length=10, choices=Huvudman.choices)
    acting_for = models.CharField(
        _("acting for"),
        max_length=10,
        blank=True,
        choices=[
            (Huvudman.KOMMUN, Huvudman.KOMMUN.label),
            (Huvudman.REGION, Huvudman.REGION.label),
        ],
        help_text=_("For a private provider: the principal it acts for."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="organisations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    functional_mailbox = models.EmailField(_("functional mailbox"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    reachability = models.CharField(
        _("reachable in the planning IT support"),
        max_length=10,
        choices=Reachability.choices,
        default=Reachability.UNKNOWN,
    )
    opening_hours_note = models.CharField(_("opening hours"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [("act_for_organisation", "Can act for the organisation (per object only)")]
        constraints = [
            models.UniqueConstraint(
                fields=["hsa_id"], condition=~models.Q(hsa_id=""), name="organisation_unique_hsa_id"
            ),
            models.UniqueConstraint(
                fields=["name", "area"], name="organisation_unique_name_in_area"
            ),
            models.CheckConstraint(
                condition=models.Q(huvudman="PRIVATE") | models.Q(acting_for=""),
                name="organisation_acting_for_only_private",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("coordination:organisation_detail", args=[self.pk])

    @property
    def needs_second_channel(self) -> bool:
        """True when the planning IT support cannot be trusted to reach this unit."""
        return self.reachability != self.Reachability.YES

    @property
    def effective_huvudman(self) -> str:
        """KOMMUN or REGION: whose side of the secrecy line this unit stands on."""
        return (
            self.acting_for or self.huvudman if self.huvudman == Huvudman.PRIVATE else self.huvudman
        )


class Membership(models.Model):
    """A user's role in an organisation."""

    class Role(models.TextChoices):
        HANDLAGGARE = "HANDLAGGARE", _("Case officer")
        FAST_VARDKONTAKT = "FAST_VARDKONTAKT", _("Designated care contact")
        SJUKSKOTERSKA = "SJUKSKOTERSKA", _("Nurse")
        LAKARE = "LAKARE", _("Physician")
        KSA = "KSA", _("KSA coordinator")
        MAS = "MAS", _("Medically responsible nurse (MAS)")
        CHEFLAKARE = "CHEFLAKARE", _("Chief medical officer (chefläkare)")
        ADMIN = "ADMIN", _("Administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["organisation__name", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"


class ProcessParty(models.Model):
    """An organisation that was sent something in a process: the party table of the one
    access rule (``coordination.access``).

    Written by ``coordination.services.process_party_add`` whenever a flow sends
    something to an organisation (the ward registering the admission, the units of the
    admission notice, the SIP's initiator, participants and invited units, the parties
    of a deviation). Never removed while the process exists: what was sent stays read.
    """

    class Reason(models.TextChoices):
        WARD = "WARD", _("Ward of the admission")
        ADMISSION_NOTICE = "ADMISSION_NOTICE", _("Received the admission notice")
        SIP_INITIATOR = "SIP_INITIATOR", _("Called the SIP")
        SIP_PARTICIPANT = "SIP_PARTICIPANT", _("Participant of the SIP")
        SIP_INVITATION = "SIP_INVITATION", _("Invited to a SIP meeting")
        DEVIATION = "DEVIATION", _("Party of a deviation")

    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="parties",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="process_parties",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    since_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        ordering = ["process", "since_at", "pk"]
        verbose_name = _("party of a case")
        verbose_name_plural = _("parties of cases")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "organisation", "reason"], name="process_party_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "process"], name="process_party_org_idx"),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_reason_display()})"


class Individual(models.Model):
    """The person a discharge or SIP is about.

    With ``protected_identity`` (skyddad identitet) name and address are never shown
    in lists or emails.
    """

    personal_identity_number = models.CharField(
        _("personal identity number"),
        max_length=13,
        unique=True,
        validators=[personnummer.validate_personnummer],
        help_text=_("Personnummer or samordningsnummer, YYYYMMDD-NNNN."),
    )
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    protected_identity = models.BooleanField(_("protected identity"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name = _("individual")
        verbose_name_plural = _("individuals")
        # Granted per user (admin, user permissions): shows the name of an individual
        # with protected identity on the case pages. Never in email.
        permissions = [
            ("view_protected_identity", "Can see name and address of protected identities")
        ]

    def __str__(self):
        if self.protected_identity:
            return str(_("Protected identity (#%(id)s)") % {"id": self.pk})
        return f"{self.given_name} {self.family_name}"

    def save(self, *args, **kwargs):
        self.personal_identity_number = personnummer.parse(self.personal_identity_number).formatted
        super().save(*args, **kwargs)

    @property
    def is_coordination_number(self) -> bool:
        return personnummer.parse(self.personal_identity_number).is_coordination_number

    @property
    def birth_date(self):
        return personnummer.parse(self.personal_identity_number).birth_date


class RelatedPerson(models.Model):
    """Someone close to the individual: närstående, vårdnadshavare, god man, förvaltare."""

    class Kind(models.TextChoices):
        NARSTAENDE = "NARSTAENDE", _("Next of kin")
        VARDNADSHAVARE = "VARDNADSHAVARE", _("Guardian (custody)")
        GOD_MAN = "GOD_MAN", _("Trustee (god man)")
        FORVALTARE = "FORVALTARE", _("Administrator (förvaltare)")

    individual = models.ForeignKey(
        Individual,
        verbose_name=_("individual"),
        on_delete=models.PROTECT,
        related_name="related_persons",
    )
    kind = models.CharField(_("relation"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    has_custody = models.BooleanField(_("has custody"), default=False)

    class Meta:
        ordering = ["individual", "kind", "name"]
        verbose_name = _("related person")
        verbose_name_plural = _("related persons")

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class Consent(models.Model):
    """The individual's (or the guardians') consent to SIP or to information sharing.

    SoL 2 kap. 7 § / HSL 16 kap. 4 §: a SIP is drawn up only with the person's consent.
    A revoked consent stops further sharing at once.
    """

    class Scope(models.TextChoices):
        SIP = "SIP", _("Coordinated individual plan (SIP)")
        INFORMATION_SHARING = "INFORMATION_SHARING", _("Information sharing")

    class Decision(models.TextChoices):
        GIVEN = "GIVEN", _("Given")
        DECLINED = "DECLINED", _("Declined")

    class GiverRole(models.TextChoices):
        INDIVIDUAL = "INDIVIDUAL", _("The individual")
        GUARDIAN = "GUARDIAN", _("Guardian (vårdnadshavare)")
        GOD_MAN = "GOD_MAN", _("Trustee or administrator (god man, förvaltare)")

    class Method(models.TextChoices):
        WRITTEN = "WRITTEN", _("In writing")
        ORAL = "ORAL", _("Orally")

    individual = models.ForeignKey(
        Individual, verbose_name=_("individual"), on_delete=models.PROTECT, related_name="consents"
    )
    scope = models.CharField(_("scope"), max_length=30, choices=Scope.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    given_by_individual = models.BooleanField(_("given by the individual"), default=True)
    given_by = models.ManyToManyField(
        RelatedPerson, verbose_name=_("given by"), blank=True, related_name="consents"
    )
    # Who decided and how; blank only on consents recorded before these were asked.
    given_by_role = models.CharField(
        _("decided by"), max_length=12, choices=GiverRole.choices, blank=True
    )
    method = models.CharField(_("given how"), max_length=10, choices=Method.choices, blank=True)
    scope_note = models.TextField(_("what the consent covers and does not cover"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
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

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self):
        return f"{self.get_scope_display()}: {self.get_decision_display()}"

    @property
    def is_in_force(self) -> bool:
        return self.decision == self.Decision.GIVEN and self.revoked_at is None


class AccessLogQuerySet(models.QuerySet):
    """Append-only: bulk changes are refused here, and by a trigger on PostgreSQL."""

    def update(self, **kwargs):
        raise PermissionError("the access log cannot be changed")

    def delete(self):
        raise PermissionError("the access log cannot be deleted")


class AccessLog(models.Model):
    """One read or write of an individual's data (PDL 4 kap. 3 §, HSLF-FS 2016:40 4 kap. 9 §).

    Written by ``coordination.services.access_log_record`` only; never changed or deleted
    by the application (model, queryset and a database trigger all refuse). Kept at least
    five years, independently of the case it concerns.
    """

    class Action(models.TextChoices):
        READ = "READ", _("Read")
        CREATE = "CREATE", _("Created")
        UPDATE = "UPDATE", _("Changed")
        EXPORT = "EXPORT", _("Exported")
        PRINT = "PRINT", _("Printed")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("acting for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    individual = models.ForeignKey(
        Individual,
        verbose_name=_("individual"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="access_log",
    )
    # No database constraint: a case purged at the end of its retention period
    # (coordination.retention) leaves its log rows, which keep the case id.
    process = models.ForeignKey(
        "viewflow.Process",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    purpose = models.CharField(_("purpose"), max_length=200)
    path = models.CharField(_("page"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["individual", "-at"], name="accesslog_individual_idx"),
            models.Index(fields=["user", "-at"], name="accesslog_user_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the access log cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the access log cannot be deleted")


# --- Deviations (samverkansavvikelser) ---------------------------------------------------
# The rules for who may act are in coordination.deviations.rules; the services in
# coordination.deviations.services are the only writers (DOMAIN §3).


def _deviation_rule(name):
    """A transition permission: ``rules.<name>(deviation, user)``, imported late because
    the rules read the registry's selectors."""

    def check(instance, user):
        from coordination.deviations import rules

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
    # the DeviationEvent (coordination.deviations.services._apply).

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
        verbose_name = _("deviation event")
        verbose_name_plural = _("deviation events")
        indexes = [models.Index(fields=["deviation", "at"], name="deviation_event_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class DashboardSnapshot(models.Model):
    """The MAS dashboard's case figures for one scope, as last computed.

    Counting a large kommun's cases takes seconds at county scale; the default view
    of each kommun is refreshed by a periodic task and any other scope on first view,
    so a page reads one row. ``data`` holds plain grouped counts, no personal data.
    """

    key = models.CharField(_("scope"), max_length=200, unique=True)
    computed_at = models.DateTimeField(_("computed"))
    data = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")

    def __str__(self):
        return self.key
