"""Reads of discharges. ``discharges_visible_to`` applies the one access rule
(``coordination.access``) for the case pages, the flow's lists and viewflow's pages."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination import access
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
    free_days: int | None = None
    notice_at: object = None
    day_zero: object = None
    start_date: object = None
    days: int = 0
    amount_sek: int | None = None
    unmet: list = field(default_factory=list)
    ongoing: bool = False
    not_applicable_reason: str = ""

    @property
    def applies(self) -> bool:
        return not self.unmet and not self.not_applicable_reason


def agreement_for_year(year: int) -> PaymentAgreement | None:
    """The regional agreement valid in ``year``, else the law's default."""
    agreements = PaymentAgreement.objects.filter(valid_from_year__lte=year).filter(
        Q(valid_to_year__isnull=True) | Q(valid_to_year__gte=year)
    )
    return (
        agreements.filter(is_statutory_default=False).order_by("-valid_from_year").first()
        or agreements.filter(is_statutory_default=True).order_by("-valid_from_year").first()
        or PaymentAgreement.objects.filter(is_statutory_default=True).first()
    )


def discharge_payment(*, process, now=None) -> PaymentAssessment:
    """Days and amount of the kommun's payment responsibility for this stay (LUS 5 kap.,
    Stockholm agreement ch. 12), counted from the notice in force, with the
    preconditions that are not met."""
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
        ready_notice_at=notice.issued_at if notice else None,
        individual_declined=process.individual_declined_interventions,
    )
    if notice is None:
        return PaymentAssessment(agreement=None, unmet=[UNMET_LABELS[code] for code in unmet])
    agreement = agreement_for_year(deadlines.local_date(notice.issued_at).year)
    free_days = agreement.free_days(process.care_type)
    cutoff = agreement.cutoff_time
    until = process.discharged_at or now
    dates = deadlines.payable_dates(
        notice.issued_at, until=until, free_days=free_days, cutoff=cutoff
    )
    rates = dict(PaymentDayRate.objects.values_list("year", "amount_sek"))
    return PaymentAssessment(
        agreement=agreement,
        free_days=free_days,
        notice_at=notice.issued_at,
        day_zero=deadlines.payment_day_zero(notice.issued_at, cutoff=cutoff),
        start_date=deadlines.payment_start_date(
            notice.issued_at, free_days=free_days, cutoff=cutoff
        ),
        days=len(dates),
        amount_sek=deadlines.payment_amount(dates, rate_for_year=rates.get),
        unmet=[UNMET_LABELS[code] for code in unmet],
        ongoing=process.discharged_at is None,
    )
