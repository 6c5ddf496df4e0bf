"""Reads of discharges. ``discharges_visible_to`` applies the one access rule
(``coordination.access``) for the case pages, the flow's lists and viewflow's pages."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination import access, clock
from coordination.models import Organisation
from coordination.selectors import user_organisations
from workflows import deadlines
from workflows.models import Deadline

from .models import (
    OPEN_STAGES,
    DischargeEvent,
    DischargeProcess,
    PaymentAgreement,
    PaymentDayRate,
    PaymentModel,
    ReadyForDischargeNotice,
)

WARD_KINDS = (
    Organisation.Kind.SJUKHUSAVDELNING,
    Organisation.Kind.GERIATRIK,
    Organisation.Kind.PSYKIATRI,
)


def user_wards(*, user) -> QuerySet[Organisation]:
    """The inpatient wards the user can register admissions for."""
    return user_organisations(user=user).filter(kind__in=WARD_KINDS, is_active=True)


def discharges_visible_to(*, user) -> QuerySet[DischargeProcess]:
    """The discharges a user may read: the one access rule (``coordination.access``)."""
    return access.processes_visible_to(user=user, model=DischargeProcess)


def open_discharge_of(*, individual) -> DischargeProcess | None:
    """The person's discharge that is still open (admitted, planning or ready), if any."""
    return (
        DischargeProcess.objects.filter(individual=individual, stage__in=OPEN_STAGES)
        .order_by("-admitted_at", "-pk")
        .first()
    )


def registering_organisation(*, process) -> Organisation:
    """The ward that registered the admission (the ward may have changed since)."""
    event = (
        DischargeEvent.objects.filter(process=process, kind=DischargeEvent.Kind.REGISTERED)
        .select_related("organisation")
        .first()
    )
    if event is not None and event.organisation is not None:
        return event.organisation
    return process.ward


def discharge_may_withdraw(*, user, process) -> bool:
    """Makulering: the registering ward's active members, or an administrator who may
    see the case (``coordination.access.may_withdraw``)."""
    return access.may_withdraw(
        user=user,
        process_id=process.pk,
        registering_organisation_id=registering_organisation(process=process).pk,
    )


def discharges_search(*, user, query: str = "", stage: str = "") -> QuerySet[DischargeProcess]:
    """The list page: free text over name and personnummer among what the user may
    see. A protected identity is found by its full personnummer only."""
    qs = discharges_visible_to(user=user).select_related("individual", "ward", "vardcentral")
    for word in query.split():
        digits = word.replace("-", "")
        name_match = Q(individual__protected_identity=False) & (
            Q(individual__given_name__icontains=word) | Q(individual__family_name__icontains=word)
        )
        pnr_match = Q(individual__personal_identity_number__icontains=word)
        if len(digits) == 12 and digits.isdigit():
            pnr_match = (
                Q(individual__personal_identity_number=f"{digits[:8]}-{digits[8:]}") | pnr_match
            )
        elif digits.isdigit():
            pnr_match = pnr_match & Q(individual__protected_identity=False)
        qs = qs.filter(name_match | pnr_match)
    if stage:
        qs = qs.filter(stage=stage)
    return qs.order_by("-admitted_at", "-pk")


def discharge_deadlines(*, process) -> QuerySet[Deadline]:
    return (
        Deadline.objects.filter(process_id=process.pk)
        .select_related("responsible_organisation", "responsible_user", "met_by")
        .order_by("due_at", "pk")
    )


# --- Payment responsibility ---------------------------------------------------------

UNMET_LABELS = {
    "ADMISSION_NOTICE_MISSING": _("The admission notice was not sent."),
    "ADMISSION_NOTICE_LATE": _("The admission notice was sent late."),
    "READY_NOTICE_MISSING": _("No ready-for-discharge notice is in force."),
    "INDIVIDUAL_DECLINED": _("The individual declined the interventions."),
}


@dataclass
class PaymentAssessment:
    agreement: PaymentAgreement | None
    free_days: object = None
    level: object = None
    notice: object = None
    notice_at: object = None
    day_zero: object = None
    start_date: object = None
    days: int = 0
    episode_days: int | None = None
    amount_sek: int | None = None
    missing_rate_years: list = field(default_factory=list)
    unconfirmed_rate_years: list = field(default_factory=list)
    unmet: list = field(default_factory=list)
    ongoing: bool = False
    not_applicable_reason: str = ""
    no_agreement: bool = False

    @property
    def applies(self) -> bool:
        return not self.unmet and not self.not_applicable_reason and not self.no_agreement

    @property
    def is_average_model(self) -> bool:
        return self.agreement is not None and self.agreement.model == PaymentModel.AVERAGE


def agreement_for_year(year: int) -> PaymentAgreement | None:
    """The regional agreement valid in ``year``, else the law's default (LUS 5 kap.),
    else None when no row covers the year (shown as such, never a crash)."""
    agreements = PaymentAgreement.objects.filter(valid_from_year__lte=year).filter(
        Q(valid_to_year__isnull=True) | Q(valid_to_year__gte=year)
    )
    return (
        agreements.filter(is_statutory_default=False).order_by("-valid_from_year").first()
        or agreements.filter(is_statutory_default=True).order_by("-valid_from_year").first()
    )


def settlement_year(*, discharged_at, now) -> int:
    """The year whose agreement governs an episode: that of the discharge, which puts
    the episode in a settlement period (Stockholm agreement: the average is taken over
    the patients discharged in the period); an ongoing stay is read as if it ended now.
    The case page and the invoice basis both use this rule."""
    return clock.local_date(discharged_at or now).year


def payment_rates() -> dict[int, PaymentDayRate]:
    return {rate.year: rate for rate in PaymentDayRate.objects.all()}


def payment_years_missing_rate() -> list[int]:
    """Years in which an utskrivningsklar notice was sent (so cases may pay) that have
    no amount per vårddygn: shown to administrators and raised by the system check."""

    years = set(
        ReadyForDischargeNotice.objects.annotate(
            year=ExtractYear("recorded_at", tzinfo=clock.STOCKHOLM)
        )
        .values_list("year", flat=True)
        .distinct()
    )
    have = set(PaymentDayRate.objects.values_list("year", flat=True))
    return sorted(year for year in years if year is not None and year not in have)


def discharge_payment(*, process, now=None) -> PaymentAssessment:
    """Days and amount of the kommun's payment responsibility for this stay (LUS 5 kap.,
    Stockholm agreement ch. 12), counted from when the notice in force was *sent*
    (after a revocation, the reissue: the clock restarts), with the preconditions that
    are not met. Under the average model a single stay has no amount of its own: its
    days count towards the kommun's mean for the period (the invoice basis)."""
    now = now or timezone.now()
    notice = process.current_ready_notice
    if process.leaves_for_open_compulsory_care:
        return PaymentAssessment(
            agreement=None,
            not_applicable_reason=str(
                _("LPT/LRV care continuing as ÖPT/ÖRV follows a coordinated care plan.")
            ),
        )
    admission_deadline = (
        Deadline.objects.filter(process_id=process.pk, kind="INSKRIVNINGSMEDDELANDE")
        .exclude(status=Deadline.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )
    unmet = deadlines.payment_preconditions_unmet(
        admission_notice_due_at=admission_deadline.due_at if admission_deadline else None,
        admission_notice_sent_at=process.admission_notice_sent_at,
        ready_notice_at=notice.sent_at if notice else None,
        individual_declined=process.individual_declined_interventions,
    )
    unmet_labels = [UNMET_LABELS[code] for code in unmet]
    if notice is None:
        return PaymentAssessment(agreement=None, unmet=unmet_labels)
    sent_at = notice.sent_at
    agreement = agreement_for_year(
        settlement_year(discharged_at=process.discharged_at, now=now or timezone.now())
    )
    if agreement is None:
        return PaymentAssessment(
            agreement=None, notice=notice, notice_at=sent_at, unmet=unmet_labels, no_agreement=True
        )
    cutoff = agreement.cutoff_time
    day_zero = deadlines.payment_day_zero(sent_at, cutoff=cutoff)
    level_row = agreement.level_on(process.care_type, day_zero)
    until = process.discharged_at or now
    assessment = PaymentAssessment(
        agreement=agreement,
        notice=notice,
        notice_at=sent_at,
        day_zero=day_zero,
        unmet=unmet_labels,
        ongoing=process.discharged_at is None,
        episode_days=deadlines.days_ready(
            sent_at, until, cutoff=cutoff, working_days=agreement.working_days
        ),
    )
    if level_row is None:
        assessment.no_agreement = True
        return assessment
    assessment.level = level_row.level
    if agreement.model == PaymentModel.AVERAGE:
        return assessment
    free_days = int(level_row.level)
    dates = deadlines.payable_dates(
        sent_at,
        until=until,
        free_days=free_days,
        cutoff=cutoff,
        working_days=agreement.working_days,
    )
    rates = payment_rates()
    assessment.free_days = free_days
    assessment.start_date = deadlines.payment_start_date(
        sent_at, free_days=free_days, cutoff=cutoff, working_days=agreement.working_days
    )
    assessment.days = len(dates)
    years = sorted({day.year for day in dates})
    assessment.missing_rate_years = [year for year in years if year not in rates]
    assessment.unconfirmed_rate_years = [
        year for year in years if year in rates and not rates[year].confirmed
    ]
    amounts = {year: rate.amount_sek for year, rate in rates.items()}
    assessment.amount_sek = deadlines.payment_amount(dates, rate_for_year=amounts.get)
    return assessment
