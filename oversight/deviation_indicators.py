"""The MAS dashboard's indicators, each a small function (DOMAIN §5.4).

Pure functions take plain values and are unit-tested on hand-built data; the query
functions take querysets already limited to the MAS's scope and return plain values.
Months are calendar months in Europe/Stockholm; a share is ``None`` when there is
nothing to measure (shown as "–", never as 0 %).
"""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    F,
    Q,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


# --- Pure arithmetic --------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent, one decimal; None when ``whole`` is 0."""
    if not whole:
        return None
    return round(100 * part / whole, 1)


def percentile(values, p: float) -> float | None:
    """The ``p``-th percentile (0–100) with linear interpolation between the closest
    ranks, as PostgreSQL's ``percentile_cont``; None for no values.

    >>> percentile([0, 1, 2, 10], 50)
    1.5
    """
    ordered = sorted(values)
    if not ordered:
        return None
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(float(value), 1)


def median(values) -> float | None:
    return percentile(values, 50)


def local_date(at: dt.datetime) -> dt.date:
    return timezone.localtime(at, _tz()).date()


def month_of(at: dt.datetime) -> dt.date:
    return local_date(at).replace(day=1)


def days_ready_to_discharge(ready_at: dt.datetime, discharged_at: dt.datetime) -> int:
    """Calendar days from the utskrivningsklar notice to discharge, counted as the
    Stockholm agreement counts them: the notice day is day 0, so a discharge the
    same day is 0 days (DOMAIN §0.3)."""
    return (local_date(discharged_at) - local_date(ready_at)).days


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first`` to ``last``, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return share(self.part, self.whole)


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None
    p90: float | None


def spread(values) -> Spread:
    values = list(values)
    return Spread(len(values), median(values), percentile(values, 90))


ATTENDED = ("ATTENDED", "ATTENDED_LATE", "REPLACED")


def participation(rows) -> dict:
    """``rows`` of (organisation id, attendance) for invitations to held meetings →
    {organisation id: Ratio(attended, invited)}. A replacement counts as attended."""
    invited, attended = defaultdict(int), defaultdict(int)
    for organisation_id, attendance in rows:
        invited[organisation_id] += 1
        if attendance in ATTENDED:
            attended[organisation_id] += 1
    return {org: Ratio(attended[org], invited[org]) for org in invited}


# --- Queries over a scope ----------------------------------------------------------------


def _month_key(month) -> dt.date | None:
    if month is None:
        return None
    if isinstance(month, dt.datetime):
        aware = timezone.is_aware(month)
        month = timezone.localtime(month, _tz()).date() if aware else month.date()
    return month.replace(day=1)


def deadline_rows(deadlines, *, now: dt.datetime) -> list[dict]:
    """One grouped read of the deadlines: per kind, responsible organisation and month
    of the due time, how many could be measured (met, breached, or open past due;
    cancelled ones are left out), how many were met on time, and how many breached."""
    rows = (
        deadlines.exclude(status="CANCELLED")
        .annotate(month=TruncMonth("due_at", tzinfo=_tz()))
        .values("kind", "responsible_organisation", "month")
        .annotate(
            whole=Count("pk", filter=~Q(status="OPEN") | Q(due_at__lt=now)),
            part=Count("pk", filter=Q(status="MET", met_at__lte=F("due_at"))),
            breached=Count("pk", filter=Q(status="BREACHED") | Q(breached_at__isnull=False)),
        )
        .order_by()
    )
    result = []
    for row in rows:
        row["month"] = _month_key(row["month"])
        result.append(row)
    return result


def timeliness(rows, *, kind: str) -> dict[dt.date, Ratio]:
    """Per month: deadlines of ``kind`` met on time out of those measured. For
    INSKRIVNINGSMEDDELANDE the share of admission notices within 24 hours; for
    SIP_KALLELSE the share of SIP invitations within 3 days of utskrivningsklar."""
    part, whole = defaultdict(int), defaultdict(int)
    for row in rows:
        if row["kind"] == kind:
            part[row["month"]] += row["part"]
            whole[row["month"]] += row["whole"]
    return {month: Ratio(part[month], whole[month]) for month in whole if whole[month]}


def breaches(rows) -> dict[tuple[str, int], int]:
    """Breached deadlines per (kind, responsible organisation)."""
    counts = defaultdict(int)
    for row in rows:
        if row["breached"]:
            counts[(row["kind"], row["responsible_organisation"])] += row["breached"]
    return dict(counts)


def deadline_timeliness(deadlines, *, kind: str, now: dt.datetime) -> dict[dt.date, Ratio]:
    return timeliness(deadline_rows(deadlines.filter(kind=kind), now=now), kind=kind)


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(p) WITHIN GROUP (ORDER BY …)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, *, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _days(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86400, 1)


def discharge_spread_in_db(discharges) -> dict[dt.date, Spread]:
    """As ``discharge_spread`` over a DischargeProcess queryset, computed by
    PostgreSQL (twelve rows instead of every discharge); elsewhere in Python."""
    if connection.vendor != "postgresql":
        return discharge_spread(discharges.values_list("ready_for_discharge_at", "discharged_at"))
    # date - date is a whole number of days (PostgreSQL gives it as an interval).
    days = TruncDate("discharged_at", tzinfo=_tz()) - TruncDate(
        "ready_for_discharge_at", tzinfo=_tz()
    )
    rows = (
        discharges.filter(ready_for_discharge_at__isnull=False, discharged_at__isnull=False)
        .annotate(month=TruncMonth("discharged_at", tzinfo=_tz()), days=days)
        .values("month")
        .annotate(
            n=Count("pk"),
            median=PercentileCont("days", fraction=0.5),
            p90=PercentileCont("days", fraction=0.9),
        )
        .order_by()
    )
    return {
        _month_key(row["month"]): Spread(row["n"], _days(row["median"]), _days(row["p90"]))
        for row in rows
    }


def discharge_spread(pairs) -> dict[dt.date, Spread]:
    """``pairs`` of (ready_for_discharge_at, discharged_at) → per month of discharge the
    count, median and 90th percentile of days from utskrivningsklar to discharge."""
    days = defaultdict(list)
    for ready_at, discharged_at in pairs:
        if ready_at is None or discharged_at is None:
            continue
        days[month_of(discharged_at)].append(days_ready_to_discharge(ready_at, discharged_at))
    return {month: spread(values) for month, values in sorted(days.items())}


def invitation_rows(invitations, *, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """One grouped read of the invitations to organisations: per organisation, its
    reachability, the month the invitation was sent (None outside the period), whether
    the meeting was held in the period and whether the organisation attended."""
    held = Q(meeting__held_at__gte=start, meeting__held_at__lt=end)
    sent = Q(sent_at__gte=start, sent_at__lt=end)
    rows = (
        invitations.filter(organisation__isnull=False)
        .filter(held | sent)
        .annotate(
            sent_month=Case(
                When(sent, then=TruncMonth("sent_at", tzinfo=_tz())),
                default=None,
                output_field=DateTimeField(),
            ),
            held_in_period=Case(When(held, then=True), default=False, output_field=BooleanField()),
            attended=Case(
                When(attendance__in=ATTENDED, then=True),
                default=False,
                output_field=BooleanField(),
            ),
        )
        .values(
            "organisation", "organisation__reachability", "sent_month", "held_in_period", "attended"
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    result = []
    for row in rows:
        row["sent_month"] = _month_key(row["sent_month"])
        result.append(row)
    return result


def participation_from_rows(rows) -> dict:
    """{organisation id: Ratio(attended, invited)} over meetings held in the period."""
    invited, attended = defaultdict(int), defaultdict(int)
    for row in rows:
        if row["held_in_period"]:
            invited[row["organisation"]] += row["n"]
            if row["attended"]:
                attended[row["organisation"]] += row["n"]
    return {org: Ratio(attended[org], invited[org]) for org in invited}


def unreachable(rows) -> dict[dt.date, Ratio]:
    """Per month sent: invitations to organisations whose reachability is NO or UNKNOWN
    (part) out of all invitations sent to organisations (whole)."""
    part, whole = defaultdict(int), defaultdict(int)
    for row in rows:
        month = row["sent_month"]
        if month is None:
            continue
        whole[month] += row["n"]
        if row["organisation__reachability"] != "YES":
            part[month] += row["n"]
    return {month: Ratio(part[month], whole[month]) for month in whole}
