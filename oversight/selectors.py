"""Reads for the invoice basis (fakturaunderlag) and the national indicators.

An *episode* is a discharge from inpatient care that ended (``discharged_at``) in the
period, with the utskrivningsklar notice in force at discharge — after a revocation the
reissue, so the clock restarts (DOMAIN §1.4) — and its paying kommun: the kommun of the
social services unit the admission notice went to, else of the municipal health care
unit (a unit that rejected it as "not our resident" does not pay). Days are counted from
when the system *sent* the notice (Stockholm routine, research P4), never from a typed
time. LPT/LRV care continuing as ÖPT/ÖRV is not an episode (DOMAIN §1.5).

Who may see a kommun's figures (``payment_kommuner_visible_to``): the kommun's side — an
active member (MAS, handläggare, any role) of an organisation of the kommun whose
huvudman is the kommun — and the region's side — an active member of an inpatient ward
(the region invoices, HSF, research P5) or a registry administrator. The episodes behind
a figure are listed only as far as ``discharges_visible_to`` allows (the one access rule);
the rest are counted as not shown.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coordination import clock
from coordination.models import Area, Huvudman, Membership, Organisation
from coordination.selectors import is_registry_admin
from workflows import deadlines
from workflows.discharge.models import (
    KOMMUN_ROLES,
    CareType,
    DischargeProcess,
    DischargeUnit,
    PaymentModel,
    Stage,
    UnitRole,
)
from workflows.discharge.selectors import (
    UNMET_LABELS,
    WARD_KINDS,
    agreement_for_year,
    discharges_visible_to,
    payment_rates,
    settlement_year,
)
from workflows.models import Deadline

from .models import EpisodeFigure, KommunPopulation, PaymentDispute

# --- Access ---------------------------------------------------------------------------------


def _kommun_of(organisation) -> Area | None:
    return organisation.area.kommun if organisation.area_id else None


def payment_kommuner_visible_to(*, user) -> list[Area]:
    """The kommuner whose invoice basis and indicators ``user`` may see (rule in the
    module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return []
    memberships = Membership.objects.filter(
        user=user, is_active=True, organisation__is_active=True
    ).select_related("organisation__area__parent")
    region_side = is_registry_admin(user=user) or any(
        m.organisation.kind in WARD_KINDS and m.organisation.huvudman == Huvudman.REGION
        for m in memberships
    )
    if region_side:
        return list(Area.objects.filter(kind=Area.Kind.KOMMUN).order_by("name"))
    kommuner = []
    for membership in memberships:
        organisation = membership.organisation
        is_kommun_side = organisation.huvudman == Huvudman.KOMMUN or (
            organisation.huvudman == Huvudman.PRIVATE
            and getattr(organisation, "acting_for", "") == Huvudman.KOMMUN
        )
        kommun = _kommun_of(organisation) if is_kommun_side else None
        if kommun is not None and kommun not in kommuner:
            kommuner.append(kommun)
    return sorted(kommuner, key=lambda area: area.name)


def is_region_side(*, user) -> bool:
    """Who resolves disputes: registry administrators and inpatient ward staff."""
    if not user.is_authenticated:
        return False
    return (
        is_registry_admin(user=user)
        or Membership.objects.filter(
            user=user,
            is_active=True,
            organisation__kind__in=WARD_KINDS,
            organisation__huvudman=Huvudman.REGION,
        ).exists()
    )


def is_kommun_side_of(*, user, kommun) -> bool:
    """Who disputes: the kommun's own side (members of its kommun organisations)."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        Q(organisation__area=kommun) | Q(organisation__area__parent=kommun),
        Q(organisation__huvudman=Huvudman.KOMMUN)
        | Q(organisation__huvudman=Huvudman.PRIVATE, organisation__acting_for=Huvudman.KOMMUN),
        user=user,
        is_active=True,
    ).exists()


# --- Episodes --------------------------------------------------------------------------------


@dataclass
class Episode:
    process_id: int
    kommun_id: int
    care_type: str
    sent_at: dt.datetime
    issued_at: dt.datetime
    backdate_reason: str
    discharged_at: dt.datetime
    day_zero: dt.date | None = None
    days: int = 0  # as the agreement counts them (cut-off, day 0 included)
    skr_days: int = 0  # SKR: calendar days from the day of the notice
    level: Decimal | None = None
    payable_days: int = 0
    amount_sek: int | None = None
    missing_rate_years: list = field(default_factory=list)
    unmet: list = field(default_factory=list)
    dispute: PaymentDispute | None = None

    @property
    def counts(self) -> bool:
        """In the invoice basis: preconditions met and not removed by a dispute."""
        accepted = (
            self.dispute is not None and self.dispute.status == PaymentDispute.Status.ACCEPTED
        )
        return not self.unmet and not accepted

    @property
    def disputed(self) -> bool:
        return self.dispute is not None and self.dispute.status == PaymentDispute.Status.OPEN


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant (UTC) of a calendar month in Stockholm."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return clock.start_of_local_day(first), clock.start_of_local_day(following)


def period_of(month: dt.date, *, months: int) -> tuple[dt.date, dt.date]:
    """The settlement period (1, 3, 6 or 12 months, aligned to the year) holding
    ``month``: its first month and its last month."""
    index = (month.month - 1) // months
    first = dt.date(month.year, index * months + 1, 1)
    last = dt.date(month.year, index * months + months, 1)
    return first, last


def _level_on(levels, care_type, day):
    """As ``PaymentAgreement.level_on`` over levels already read."""
    matching = [
        level
        for level in levels
        if level.care_type == care_type
        and level.valid_from_date <= day
        and (level.valid_to_date is None or level.valid_to_date >= day)
    ]
    return max(matching, key=lambda level: level.valid_from_date, default=None)


def _kommun_by_area() -> dict[int, int | None]:
    """Every area's kommun (as ``Area.kommun``) from one read of the area tree."""
    areas = {
        pk: (kind, parent_id)
        for pk, kind, parent_id in Area.objects.values_list("pk", "kind", "parent_id")
    }
    result = {}
    for pk in areas:
        current = pk
        while current is not None and areas[current][0] == Area.Kind.STADSDELSOMRADE:
            current = areas[current][1]
        result[pk] = (
            current if current is not None and areas[current][0] == Area.Kind.KOMMUN else None
        )
    return result


def _paying_kommun(units, kommun_by_area) -> int | None:
    """The kommun of the paying unit from unit rows ``(role, area_id, superseded_at,
    ack_state)`` in the units' order: per role the first unit taking part (forwarded or
    replaced: the new), the social services unit's, else the municipal health care
    unit's (one that rejected it as "not our resident" does not pay)."""
    by_role = {}
    for role, area_id, superseded_at, ack_state in units:
        if superseded_at is None and ack_state != DischargeUnit.AckState.REJECTED_NOT_RESIDENT:
            by_role.setdefault(role, area_id)
    for role in (UnitRole.SOCIALTJANST, UnitRole.KOMMUNAL_HSV):
        if role in by_role:
            area_id = by_role[role]
            return kommun_by_area.get(area_id) if area_id is not None else None
    return None


def episodes(
    *, start: dt.datetime, end: dt.datetime, kommun_ids=None, detail: bool = True
) -> list[Episode]:
    """Every episode ended in [start, end) with its days; for the kommuner given (all
    when None). With ``detail`` (the invoice basis) preconditions, disputes and payable
    days are attached; nothing is filtered by them. Without it (the indicators) only
    the kommun, care type and both day counts are filled.

    Read as plain rows (no model instances): a year of a large kommun's discharges is
    tens of thousands of episodes."""
    processes = DischargeProcess.objects.filter(
        stage=Stage.DISCHARGED,
        discharged_at__gte=start,
        discharged_at__lt=end,
        leaves_for_open_compulsory_care=False,
        # The notice in force at discharge (at most one is, a constraint): without
        # one there is no episode.
        ready_notices__revoked_at__isnull=True,
        ready_notices__recorded_at__isnull=False,
    )
    if kommun_ids is not None:
        # Only cases with a kommun unit in one of these kommuner can have their paying
        # unit there: the rest are not read at all (the exact choice follows below).
        in_kommuner = (
            Q(organisation__area_id__in=kommun_ids)
            | Q(organisation__area__parent_id__in=kommun_ids)
            | Q(organisation__area__parent__parent_id__in=kommun_ids)
        )
        processes = processes.filter(
            pk__in=DischargeUnit.objects.filter(in_kommuner, role__in=KOMMUN_ROLES).values(
                "process_id"
            )
        )
    rows = processes.order_by("discharged_at", "pk").values_list(
        "pk",
        "care_type",
        "discharged_at",
        "admission_notice_sent_at",
        "individual_declined_interventions",
        "ready_notices__recorded_at",
        "ready_notices__issued_at",
        "ready_notices__backdate_reason",
    )
    process_ids = processes.values("pk")
    units = defaultdict(list)
    for process_id, *unit in (
        DischargeUnit.objects.filter(process_id__in=process_ids, role__in=KOMMUN_ROLES)
        .order_by(*DischargeUnit._meta.ordering)
        .values_list("process_id", "role", "organisation__area_id", "superseded_at", "ack_state")
    ):
        units[process_id].append(tuple(unit))
    kommun_by_area = _kommun_by_area()
    admission_due = {}
    disputes = {}
    amounts = {}
    if detail:
        admission_due = dict(
            Deadline.objects.filter(process_id__in=process_ids, kind="INSKRIVNINGSMEDDELANDE")
            .exclude(status=Deadline.Status.CANCELLED)
            .order_by("created_at")
            .values_list("process_id", "due_at")
        )
        for dispute in PaymentDispute.objects.filter(process_id__in=process_ids).order_by(
            "opened_at"
        ):
            current = disputes.get(dispute.process_id)
            if current is None or current.status != PaymentDispute.Status.OPEN:
                disputes[dispute.process_id] = dispute
        amounts = {year: rate.amount_sek for year, rate in payment_rates().items()}
    agreements = {}
    levels = {}
    result = []
    for (
        process_id,
        care_type,
        discharged_at,
        admission_notice_sent_at,
        individual_declined,
        sent_at,
        issued_at,
        backdate_reason,
    ) in rows:
        kommun_id = _paying_kommun(units.get(process_id, []), kommun_by_area)
        if kommun_id is None or (kommun_ids is not None and kommun_id not in kommun_ids):
            continue
        episode = Episode(
            process_id=process_id,
            kommun_id=kommun_id,
            care_type=care_type,
            sent_at=sent_at,
            issued_at=issued_at,
            backdate_reason=backdate_reason,
            discharged_at=discharged_at,
            dispute=disputes.get(process_id),
        )
        episode.skr_days = deadlines.days_ready(sent_at, discharged_at, cutoff=None)
        year = settlement_year(discharged_at=discharged_at, now=None)
        if year not in agreements:
            agreements[year] = agreement_for_year(year)
        agreement = agreements[year]
        if detail:
            unmet = deadlines.payment_preconditions_unmet(
                admission_notice_due_at=admission_due.get(process_id),
                admission_notice_sent_at=admission_notice_sent_at,
                ready_notice_at=sent_at,
                individual_declined=individual_declined,
            )
            episode.unmet = [str(UNMET_LABELS[code]) for code in unmet]
        if agreement is not None:
            cutoff = agreement.cutoff_time
            episode.day_zero = deadlines.payment_day_zero(sent_at, cutoff=cutoff)
            episode.days = deadlines.days_ready(
                sent_at, discharged_at, cutoff=cutoff, working_days=agreement.working_days
            )
            if agreement.pk not in levels:
                levels[agreement.pk] = list(agreement.levels.all())
            level = _level_on(levels[agreement.pk], care_type, episode.day_zero)
            episode.level = level.level if level else None
            if detail and agreement.model == PaymentModel.PER_PATIENT and level is not None:
                dates = deadlines.payable_dates(
                    sent_at,
                    until=discharged_at,
                    free_days=int(level.level),
                    cutoff=cutoff,
                    working_days=agreement.working_days,
                )
                episode.payable_days = len(dates)
                episode.missing_rate_years = sorted(
                    {day.year for day in dates if day.year not in amounts}
                )
                episode.amount_sek = deadlines.payment_amount(dates, rate_for_year=amounts.get)
        result.append(episode)
    return result


# --- Invoice basis ---------------------------------------------------------------------------


@dataclass
class CareTypeBasis:
    care_type: str
    label: str
    model: str | None
    level: Decimal | None
    episodes: list
    excluded: list
    settlement: deadlines.AverageSettlement | None = None
    rate_sek: int | None = None
    rate_confirmed: bool = True
    amount_sek: int | None = None
    missing_rate_years: list = field(default_factory=list)
    period_label: str = ""
    period_settlement: deadlines.AverageSettlement | None = None
    period_amount_sek: int | None = None
    payable_days: int = 0

    @property
    def amount_missing(self) -> bool:
        return bool(self.missing_rate_years)


@dataclass
class InvoiceBasis:
    kommun: Area
    month: dt.date
    agreement: object
    sections: list
    missing_rate_years: list

    @property
    def total_sek(self) -> int | None:
        if self.missing_rate_years:
            return None
        return sum(section.amount_sek or 0 for section in self.sections)


def _period_label(first: dt.date, last: dt.date) -> str:
    if first == last:
        return f"{first:%Y-%m}"
    return f"{first:%Y-%m}–{last:%Y-%m}"


def invoice_basis(*, kommun: Area, month: dt.date) -> InvoiceBasis:
    """The invoice basis of ``kommun`` for ``month`` per care type, under the
    agreement in force in the month's year (or the law's default).

    Average model (Stockholm from 2020, research P5): the episodes ended in the month,
    their days (day 0 included), the mean, the agreed level, the days above it and
    days above × Socialstyrelsen's amount of the year; when the agreement settles over
    a longer period, the period to date as well. Per-patient model (LUS 5 kap. default):
    each episode with its payable days and amount. An episode whose preconditions are
    not met, or whose dispute was accepted, is listed apart and not counted.
    """
    month = month.replace(day=1)
    agreement = agreement_for_year(month.year)
    rates = payment_rates()
    rate = rates.get(month.year)
    start, end = month_bounds(month)
    month_episodes = episodes(start=start, end=end, kommun_ids={kommun.pk})
    sections = []
    missing = set()
    for care_type, label in CareType.choices:
        of_type = [e for e in month_episodes if e.care_type == care_type]
        counted = [e for e in of_type if e.counts]
        excluded = [e for e in of_type if not e.counts]
        level_row = agreement.level_on(care_type, month) if agreement else None
        section = CareTypeBasis(
            care_type=care_type,
            label=str(label),
            model=agreement.model if agreement else None,
            level=level_row.level if level_row else None,
            episodes=counted,
            excluded=excluded,
            rate_sek=rate.amount_sek if rate else None,
            rate_confirmed=rate.confirmed if rate else True,
        )
        if agreement is not None and agreement.model == PaymentModel.AVERAGE and level_row:
            section.settlement = deadlines.average_settlement(
                [e.days for e in counted], level=level_row.level
            )
            section.amount_sek = section.settlement.amount(section.rate_sek)
            if agreement.settlement_months > 1:
                first, last = period_of(month, months=agreement.settlement_months)
                period_start, _end = month_bounds(first)
                period_episodes = [
                    e
                    for e in episodes(start=period_start, end=end, kommun_ids={kommun.pk})
                    if e.care_type == care_type and e.counts
                ]
                section.period_label = _period_label(first, last)
                section.period_settlement = deadlines.average_settlement(
                    [e.days for e in period_episodes], level=level_row.level
                )
                section.period_amount_sek = section.period_settlement.amount(section.rate_sek)
        elif agreement is not None and level_row:
            section.payable_days = sum(e.payable_days for e in counted)
            section.missing_rate_years = sorted(
                {year for e in counted for year in e.missing_rate_years}
            )
            section.amount_sek = sum(e.amount_sek or 0 for e in counted)
        if rate is None and of_type and month.year not in section.missing_rate_years:
            # A year without an amount is shown on every figure of it, never as 0 kr.
            section.missing_rate_years = sorted([*section.missing_rate_years, month.year])
        if section.missing_rate_years:
            section.amount_sek = None
            section.period_amount_sek = None
        missing.update(section.missing_rate_years)
        sections.append(section)
    return InvoiceBasis(kommun, month, agreement, sections, sorted(missing))


# --- National indicators (SKR, vantetider.se) -----------------------------------------------


@dataclass
class IndicatorRow:
    kommun: Area
    month: dt.date
    care_type: str
    discharged: int  # every episode ended in the month, day 0 included
    episodes: int  # SKR: antal vårdtillfällen with ≥ 1 day utskrivningsklar
    days: int  # SKR: summa dagar
    same_day: int
    agreement_days: int  # days as the agreement counts them, over all episodes
    population_65: int | None = None

    @property
    def skr_mean(self) -> Decimal | None:
        """Medelvårdtid som utskrivningsklar (SKR): days ÷ episodes with ≥ 1 day."""
        if not self.episodes:
            return None
        return (Decimal(self.days) / self.episodes).quantize(Decimal("0.01"))

    @property
    def agreement_mean(self) -> Decimal | None:
        """The agreement's mean: over all discharged, day-0 discharges included."""
        if not self.discharged:
            return None
        return (Decimal(self.agreement_days) / self.discharged).quantize(Decimal("0.01"))

    @property
    def same_day_share(self) -> Decimal | None:
        if not self.discharged:
            return None
        return (Decimal(100 * self.same_day) / self.discharged).quantize(Decimal("0.1"))

    @property
    def days_per_1000_65(self) -> Decimal | None:
        if not self.population_65:
            return None
        return (Decimal(1000 * self.days) / self.population_65).quantize(Decimal("0.01"))


def months_back(last: dt.date, count: int) -> list[dt.date]:
    months = []
    month = last.replace(day=1)
    for _n in range(count):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


_EPOCH = dt.date(2000, 1, 1)


def _indicator_figures(*, start: dt.datetime, end: dt.datetime, kommun_ids) -> list[tuple]:
    """The indicators' share of ``episodes``: per episode ended in [start, end) whose
    paying kommun is one of ``kommun_ids``, ``(kommun_id, month, care_type, skr_days,
    agreement_days)``, the same figures ``episodes`` gives (a test holds them equal).

    The episode, its notice in force and its paying unit (per role the first unit
    taking part, the social services unit's before the municipal health care unit's)
    are kept per discharge as they change (``EpisodeFigure``); one statement reads those
    of the period and turns both instants into Stockholm calendar days: a year of a
    large kommun is tens of thousands of episodes, too many to read as models on every
    view of the MAS dashboard."""
    if connection.vendor != "postgresql":  # the embedded SQLite demo: from the episodes
        return [
            (
                e.kommun_id,
                clock.local_date(e.discharged_at).replace(day=1),
                e.care_type,
                e.skr_days,
                e.days,
            )
            for e in episodes(start=start, end=end, kommun_ids=kommun_ids, detail=False)
        ]
    kommun_by_area = _kommun_by_area()
    area_kommun = {
        area_id: kommun_id
        for area_id, kommun_id in kommun_by_area.items()
        if kommun_id is not None and kommun_id in kommun_ids
    }
    if not area_kommun:
        return []
    episode_table = EpisodeFigure._meta.db_table
    organisation_table = Organisation._meta.db_table
    zone = clock.STOCKHOLM.key
    # The episodes (notice in force, paying unit) are kept per discharge on every change
    # (``EpisodeFigure``, ``oversight.dashboard_sql``); the paying unit's kommun is read
    # with it.
    statement = f"""
        SELECT o.area_id, e.care_type,
               ((e.discharged_at AT TIME ZONE %(zone)s)::date - %(epoch)s) AS out_day,
               ((e.recorded_at AT TIME ZONE %(zone)s)::date - %(epoch)s) AS sent_day,
               EXTRACT(EPOCH FROM (e.recorded_at AT TIME ZONE %(zone)s)::time)::int
        FROM {episode_table} e
        JOIN {organisation_table} o ON o.id = e.paying_organisation_id
        WHERE o.area_id = ANY(%(areas)s)
          AND e.discharged_at >= %(start)s AND e.discharged_at < %(end)s
    """  # noqa: S608 (table names from the models; every value is a parameter)
    params = {
        "zone": zone,
        "epoch": _EPOCH,
        "start": start,
        "end": end,
        "areas": list(area_kommun),
    }
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchall()
    agreements = {}
    # A year of a large kommun is tens of thousands of rows but a few hundred distinct
    # days: what depends on the days alone is worked out once per day (or pair of days).
    out_days = {}
    agreement_days = {}
    result = []
    for area_id, care_type, out_day, sent_day, sent_seconds in found:
        if out_day not in out_days:
            discharged_on = _EPOCH + dt.timedelta(days=out_day)
            year = discharged_on.year  # settlement_year: the discharge's local year
            if year not in agreements:
                agreement = agreement_for_year(year)
                cutoff = None
                if agreement is not None and agreement.cutoff_time is not None:
                    t = agreement.cutoff_time
                    cutoff = t.hour * 3600 + t.minute * 60 + t.second
                agreements[year] = (agreement, cutoff)
            out_days[out_day] = (discharged_on.replace(day=1), *agreements[year])
        month, agreement, cutoff = out_days[out_day]
        skr_days = max(0, out_day - sent_day)
        days = 0
        if agreement is not None:
            zero = sent_day + (1 if cutoff is not None and sent_seconds >= cutoff else 0)
            if out_day > zero:
                if agreement.working_days:
                    key = (zero, out_day)
                    if key not in agreement_days:
                        day_zero = _EPOCH + dt.timedelta(days=zero)
                        agreement_days[key] = sum(
                            1
                            for n in range(1, out_day - zero + 1)
                            if deadlines.is_working_day(day_zero + dt.timedelta(n))
                        )
                    days = agreement_days[key]
                else:
                    days = out_day - zero
        result.append((area_kommun[area_id], month, care_type, skr_days, days))
    return result


def indicator_rows(*, kommuner, months: list[dt.date]) -> list[IndicatorRow]:
    """Per kommun, month and care type (somatic and psychiatric apart), in the shape SKR
    publishes for "Utskrivningsklara patienter" (vantetider.se, research P16–P18):
    episodes ended in the month with ≥ 1 day as utskrivningsklar, their days, the mean,
    the same-day share (of all discharged), and days per 1 000 inhabitants 65+ when a
    population is entered. Days count from the day the notice was sent."""
    kommun_ids = {k.pk for k in kommuner}
    start, _x = month_bounds(months[0])
    _y, end = month_bounds(months[-1])
    found = _indicator_figures(start=start, end=end, kommun_ids=kommun_ids)
    populations = {
        (p.kommun_id, p.year): p.inhabitants_65_plus
        for p in KommunPopulation.objects.filter(kommun_id__in=kommun_ids)
    }
    grouped = defaultdict(list)
    for kommun_id, month, care_type, skr_days, days in found:
        grouped[(kommun_id, month, care_type)].append((skr_days, days))
    rows = []
    for kommun in kommuner:
        for month in months:
            for care_type, _label in CareType.choices:
                items = grouped.get((kommun.pk, month, care_type), [])
                with_days = [skr for skr, _days in items if skr >= 1]
                rows.append(
                    IndicatorRow(
                        kommun=kommun,
                        month=month,
                        care_type=care_type,
                        discharged=len(items),
                        episodes=len(with_days),
                        days=sum(with_days),
                        same_day=sum(1 for skr, _days in items if skr == 0),
                        agreement_days=sum(days for _skr, days in items),
                        population_65=populations.get((kommun.pk, month.year)),
                    )
                )
    return rows


def episodes_visible(*, user, episode_list: list[Episode]) -> tuple[list[Episode], int]:
    """The episodes the user may open (``discharges_visible_to``) and how many others
    stay hidden."""
    ids = [e.process_id for e in episode_list]
    visible = set(discharges_visible_to(user=user).filter(pk__in=ids).values_list("pk", flat=True))
    shown = [e for e in episode_list if e.process_id in visible]
    return shown, len(episode_list) - len(shown)


CARE_TYPE_LABELS = dict(CareType.choices)
MISSING_AMOUNT = _("amount missing for %(year)s")


def region_overview(*, kommuner, month: dt.date):
    """The region's view of one month: per kommun with episodes, its invoice basis
    (somatic and psychiatric); kommuner without episodes are left out."""
    start, end = month_bounds(month)
    with_episodes = {e.kommun_id for e in episodes(start=start, end=end, detail=False)}
    return [
        invoice_basis(kommun=kommun, month=month)
        for kommun in kommuner
        if kommun.pk in with_episodes
    ]


def county_trend(*, kommuner, months: list[dt.date]) -> dict[str, list]:
    """Per care type, the county's agreement mean (day 0 included) and SKR mean for
    each month, over the kommuner given."""
    rows = indicator_rows(kommuner=kommuner, months=months)
    trend = {}
    for care_type, _label in CareType.choices:
        agreement, skr = [], []
        for month in months:
            of_month = [r for r in rows if r.care_type == care_type and r.month == month]
            discharged = sum(r.discharged for r in of_month)
            with_days = sum(r.episodes for r in of_month)
            agreement.append(
                round(sum(r.agreement_days for r in of_month) / discharged, 2)
                if discharged
                else None
            )
            skr.append(round(sum(r.days for r in of_month) / with_days, 2) if with_days else None)
        trend[care_type] = (agreement, skr)
    return trend
