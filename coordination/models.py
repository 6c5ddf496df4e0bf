"""Who takes part: areas, organisations, memberships, individuals, consent."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
        # The units of a child's SIP (DOMAIN.md §2.6; SoL 2 kap. 7 § covers the school's
        # elevhälsa through the kommun, HSL 16 kap. 4 § BUP and habilitering).
        SKOLA = "SKOLA", _("School")
        ELEVHALSA = "ELEVHALSA", _("Student health service (elevhälsa)")
        SOCIALTJANST_BARN = "SOCIALTJANST_BARN", _("Social services, children and young people")
        BUP = "BUP", _("Child and adolescent psychiatry (BUP)")
        HABILITERING = "HABILITERING", _("Habilitation")
        UNGDOMSMOTTAGNING = "UNGDOMSMOTTAGNING", _("Youth clinic (ungdomsmottagning)")
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
        # Enhetschef or verksamhetschef: the second rung of a unit's escalation chain.
        CHEF = "CHEF", _("Unit manager (enhetschef/verksamhetschef)")
        MAS = "MAS", _("Medically responsible nurse (MAS)")
        CHEFLAKARE = "CHEFLAKARE", _("Chief medical officer (chefläkare)")
        ADMIN = "ADMIN", _("Administrator")
        # A hospital or kommun system acting through the API (api.ApiClient): its own
        # service user, which cannot sign in to the pages.
        SYSTEM = "SYSTEM", _("System (API client)")

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


class EscalationChain(models.Model):
    """An organisation's own escalation chain, set by an administrator where the one
    derived from the registry does not fit (``coordination.chains``).

    Rung 1 is always the unit itself. ``coordinator`` replaces rung 2 (by default the
    area's KSA on the kommun side; on the region side the unit it is part of, or the
    area's GSA for a vårdcentral); ``overseer`` names the organisation whose MAS or
    chefläkare receive rung 3 (by default the MAS of the kommun, or the chefläkare and
    MAS of the region). An edit that leaves the chain without a MAS or chefläkare is
    refused (``coordination.chains.escalation_chain_save``)."""

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="escalation_chain",
    )
    coordinator = models.ForeignKey(
        Organisation,
        verbose_name=_("escalates to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Rung 2: the coordinator or manager told when a deadline of the organisation "
            "has passed. Empty: the area's KSA (kommun), or the unit it is part of or the "
            "area's GSA (region)."
        ),
    )
    overseer = models.ForeignKey(
        Organisation,
        verbose_name=_("MAS or chefläkare at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Rung 3: the organisation whose MAS or chefläkare is told of a breach. Empty: "
            "the MAS of the kommun, or the chefläkare and MAS of the region."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("escalation chain")
        verbose_name_plural = _("escalation chains")

    def __str__(self):
        return str(self.organisation)


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
    # A child's own view of the SIP, in the child's words, recorded with the guardians'
    # decision from the age in KARDBORRE_CHILD_VIEW_AGE (SoL 11 kap. 10 §, FB 6 kap. 11 §:
    # the child's will counts with rising age and maturity).
    child_view = models.TextField(_("the child's own view"), blank=True)
    # A consent the guardians gave for a child covers the child only until custody ends
    # on the 18th birthday (föräldrabalken 6 kap. 2 §): from that day it is not in force.
    valid_until = models.DateField(
        _("in force until (not including)"),
        null=True,
        blank=True,
        help_text=_("The 18th birthday, for a consent the guardians gave for a child."),
    )
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
        return (
            self.decision == self.Decision.GIVEN and self.revoked_at is None and not self.has_lapsed
        )

    @property
    def has_lapsed(self) -> bool:
        """A guardians' consent on and after the child's 18th birthday."""
        return self.valid_until is not None and timezone.localdate() >= self.valid_until


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
    # (oversight.retention) leaves its log rows, which keep the case id.
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
