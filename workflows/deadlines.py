"""Deadline arithmetic: pure functions, no database, no clock (the Stockholm calendar
is ``coordination.clock``'s).

Every LUS count is in *calendar days* (DOMAIN §1.7; the process runs every day of the
year), or in elapsed hours. Calendar days are counted in Europe/Stockholm, so a
deadline "3 calendar days after" ends at local midnight whatever the UTC offset, also
across the DST changes and the year end. Results are aware datetimes in UTC.

>>> import datetime as dt
>>> start = dt.datetime(2026, 3, 28, 10, 0, tzinfo=dt.UTC)   # Saturday before DST
>>> end_of_calendar_day_after(start, days=3).isoformat()
'2026-03-31T21:59:59.999999+00:00'
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import holidays

from coordination.clock import (
    STOCKHOLM,
    end_of_local_day,
    local_date,
    local_time,
)
from coordination.clock import aware as _aware

_SWEDISH_HOLIDAYS = holidays.country_holidays("SE")
#: Midsommarafton, julafton and nyårsafton: not helgdagar, but days off like a Sunday
#: (semesterlag 1977:480 7 §), so no office is staffed on them.
_SWEDISH_EVES = holidays.country_holidays("SE", categories=(holidays.DE_FACTO,))


def hours_after(start: dt.datetime, *, hours: int) -> dt.datetime:
    """``hours`` elapsed hours after ``start`` (a DST change does not stretch it).

    LUS 2017:612 4 kap. 1 §: the inskrivningsmeddelande within 24 hours of admission.
    """
    return _aware(start).astimezone(dt.UTC) + dt.timedelta(hours=hours)


def end_of_calendar_day_after(start: dt.datetime, *, days: int) -> dt.datetime:
    """The end of the ``days``-th calendar day after the day of ``start`` (Stockholm).

    Stockholm routine for LUS step 4: the kallelse to SIP "senast tre kalenderdagar"
    after the utskrivningsklar notice.
    """
    return end_of_local_day(local_date(start) + dt.timedelta(days=days))


# --- Payment responsibility (betalningsansvar), LUS 5 kap. -------------------------------


def payment_day_zero(notice_at: dt.datetime, *, cutoff: dt.time | None) -> dt.date:
    """Day 0 of the payment count for an utskrivningsklar notice.

    Stockholm regional agreement from 2020, ch. 12 (DOMAIN §1.4): a notice sent
    *before* 12:00 makes that calendar day day 0; a notice at or after 12:00 makes the
    next day day 0. ``cutoff=None`` (the law's default, no agreement) always counts
    from the notice's own day.

    >>> import datetime as dt
    >>> from coordination.clock import STOCKHOLM
    >>> payment_day_zero(dt.datetime(2026, 1, 12, 10, 59, tzinfo=STOCKHOLM), cutoff=dt.time(12))
    datetime.date(2026, 1, 12)
    >>> payment_day_zero(dt.datetime(2026, 1, 12, 12, 0, tzinfo=STOCKHOLM), cutoff=dt.time(12))
    datetime.date(2026, 1, 13)
    """
    day = local_date(notice_at)
    if cutoff is not None and local_time(notice_at) >= cutoff:
        day += dt.timedelta(days=1)
    return day


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Swedish public holiday (Sundays and every helgdag of
    lag 1989:253, through the ``holidays`` package); the eves (midsommarafton,
    julafton, nyårsafton) count as working days, as in the old betalningsansvarslag's
    "vardagar"."""
    return day.weekday() < 5 and day not in _SWEDISH_HOLIDAYS


def is_office_day(day: dt.date) -> bool:
    """A working day on which offices are staffed: ``is_working_day`` and not one of
    the eves that the semesterlag treats as a Sunday.

    >>> import datetime as dt
    >>> is_working_day(dt.date(2026, 6, 19)), is_office_day(dt.date(2026, 6, 19))
    (True, False)
    """
    return is_working_day(day) and day not in _SWEDISH_EVES


def _next_office_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_office_day(day):
        day += dt.timedelta(days=1)
    return day


def _next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def held_to_office_hours(at: dt.datetime, *, opens: dt.time, closes: dt.time) -> dt.datetime:
    """``at`` if it falls within office hours (``opens`` ≤ local time < ``closes`` on
    an office day, ``is_office_day``, Stockholm), else the next opening: the same
    morning before opening time, otherwise the morning of the next office day. A
    reminder or escalation due in the evening, at a weekend or on a public holiday is
    held until then; the opening is a local time, so a DST change does not move it.
    Returns UTC.

    >>> import datetime as dt
    >>> from coordination.clock import STOCKHOLM
    >>> hours = {"opens": dt.time(8), "closes": dt.time(17)}
    >>> friday_evening = dt.datetime(2026, 3, 27, 18, 0, tzinfo=STOCKHOLM)
    >>> held_to_office_hours(friday_evening, **hours).astimezone(STOCKHOLM).isoformat()
    '2026-03-30T08:00:00+02:00'
    >>> midsummer_eve = dt.datetime(2026, 6, 19, 10, 0, tzinfo=STOCKHOLM)
    >>> held_to_office_hours(midsummer_eve, **hours).astimezone(STOCKHOLM).isoformat()
    '2026-06-22T08:00:00+02:00'
    >>> tuesday_early = dt.datetime(2026, 1, 13, 6, 30, tzinfo=STOCKHOLM)
    >>> held_to_office_hours(tuesday_early, **hours).astimezone(STOCKHOLM).isoformat()
    '2026-01-13T08:00:00+01:00'
    >>> tuesday_noon = dt.datetime(2026, 1, 13, 12, 0, tzinfo=STOCKHOLM)
    >>> held_to_office_hours(tuesday_noon, **hours) == tuesday_noon
    True
    """
    at = _aware(at).astimezone(dt.UTC)
    local = at.astimezone(STOCKHOLM)
    day, time = local.date(), local.time()
    if is_office_day(day) and opens <= time < closes:
        return at
    if not (is_office_day(day) and time < opens):
        day = _next_office_day(day)
    return dt.datetime.combine(day, opens, tzinfo=STOCKHOLM).astimezone(dt.UTC)


def payment_start_date(
    notice_at: dt.datetime,
    *,
    free_days: int,
    cutoff: dt.time | None,
    working_days: bool = False,
):
    """The first calendar day the kommun pays for (per-patient model).

    Free days are counted from day 0 and include it: with the Stockholm routine's 2 free
    days for somatic care, days 0, 1 and 2 are free and day 3 is the first paid day
    (DOMAIN §1.4: "two calendar days including day 0 (days 0, 1 and 2)"); psychiatric
    heldygnsvård has 5. The law's default (LUS 5 kap. 3 §, no agreement) is 3 calendar
    days after the notice. An agreement that counts working days (as Stockholm did
    before 2020, research P5) moves over ``free_days`` working days after day 0; the
    day after the last free working day is the first paid day.

    >>> import datetime as dt
    >>> from coordination.clock import STOCKHOLM
    >>> friday = dt.datetime(2026, 1, 9, 9, 0, tzinfo=STOCKHOLM)
    >>> payment_start_date(friday, free_days=2, cutoff=None, working_days=True)
    datetime.date(2026, 1, 14)
    """
    day = payment_day_zero(notice_at, cutoff=cutoff)
    if not working_days:
        return day + dt.timedelta(days=free_days + 1)
    for _n in range(free_days):
        day = _next_working_day(day)
    return day + dt.timedelta(days=1)


def payable_dates(
    notice_at: dt.datetime,
    *,
    until: dt.datetime,
    free_days: int,
    cutoff: dt.time | None,
    working_days: bool = False,
) -> list[dt.date]:
    """The calendar days the kommun pays for: from the first paid day up to and
    including the day of ``until`` (the discharge, or now for a patient still in
    hospital). Once the free days have passed the kommun is responsible for every day
    the patient is still in the ward, the day of discharge included."""
    first = payment_start_date(
        notice_at, free_days=free_days, cutoff=cutoff, working_days=working_days
    )
    count = (local_date(until) - first).days + 1
    return [first + dt.timedelta(days=n) for n in range(max(count, 0))]


def days_ready(
    notice_at: dt.datetime,
    discharged_at: dt.datetime,
    *,
    cutoff: dt.time | None,
    working_days: bool = False,
) -> int:
    """Days utskrivningsklar of one episode as the agreement counts them: from day 0 to
    the day of discharge, so a discharge on day 0 counts 0 days (Stockholm agreement
    from 2020: the average counts *all* discharged patients, day 0 included; research
    P5). With ``cutoff=None`` day 0 is the notice's own day, which is the SKR
    definition of days as utskrivningsklar (vantetider.se, research P18).

    >>> import datetime as dt
    >>> from coordination.clock import STOCKHOLM
    >>> sent = dt.datetime(2026, 1, 12, 13, 0, tzinfo=STOCKHOLM)
    >>> out = dt.datetime(2026, 1, 15, 10, 0, tzinfo=STOCKHOLM)
    >>> days_ready(sent, out, cutoff=dt.time(12)), days_ready(sent, out, cutoff=None)
    (2, 3)
    """
    day_zero = payment_day_zero(notice_at, cutoff=cutoff)
    last = local_date(discharged_at)
    if last <= day_zero:
        return 0
    if not working_days:
        return (last - day_zero).days
    return sum(
        1
        for n in range(1, (last - day_zero).days + 1)
        if is_working_day(day_zero + dt.timedelta(n))
    )


@dataclass(frozen=True)
class AverageSettlement:
    """One kommun's settlement under the average model for one period and care type."""

    episodes: int
    days: int
    level: Decimal
    mean: Decimal | None
    days_above: Decimal

    def amount(self, rate_sek: int | None) -> int | None:
        """Days above the level × the amount per vårddygn, in whole kronor (rounded
        half up); None when the year has no amount, never 0."""
        if rate_sek is None:
            return None
        return int((self.days_above * rate_sek).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def average_settlement(days: list[int], *, level) -> AverageSettlement:
    """The average model (genomsnittliga fristdagar; Stockholm agreement from 2020,
    research P5): the mean of the days of *all* episodes ended in the period, day-0
    discharges included, is compared with the agreed level; the kommun pays for the
    days above it, i.e. the total minus level × episodes, when that is positive.

    >>> s = average_settlement([0, 0, 3, 7], level=2)
    >>> s.mean, s.days_above
    (Decimal('2.50'), Decimal('2'))
    """
    level = Decimal(str(level))
    total = sum(days)
    count = len(days)
    if count == 0:
        return AverageSettlement(0, 0, level, None, Decimal(0))
    mean = (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    above = Decimal(total) - level * count
    return AverageSettlement(count, total, level, mean, max(above, Decimal(0)).normalize())


def payment_amount(dates: list[dt.date], *, rate_for_year) -> int | None:
    """Sum of the per-day amount of each day's year (Socialstyrelsen, HSLF-FS; a stay
    across the year end pays each year's amount). ``rate_for_year(year)`` returns the
    amount in kronor or None; None when a year has no amount."""
    total = 0
    for day in dates:
        rate = rate_for_year(day.year)
        if rate is None:
            return None
        total += rate
    return total


def payment_preconditions_unmet(
    *,
    admission_notice_due_at: dt.datetime | None,
    admission_notice_sent_at: dt.datetime | None,
    ready_notice_at: dt.datetime | None,
    individual_declined: bool,
) -> list[str]:
    """Why the kommun's payment responsibility cannot arise, as stable codes.

    LUS 5 kap. and the Stockholm routine's criteria (DOMAIN §1.4): the kommun must have
    received both the inskrivningsmeddelande, sent in time, and the utskrivningsklar
    notice; and the individual (or their representative) must not have declined the
    interventions. An empty list means the preconditions hold.
    """
    unmet = []
    if admission_notice_sent_at is None:
        unmet.append("ADMISSION_NOTICE_MISSING")
    elif admission_notice_due_at is not None and admission_notice_sent_at > admission_notice_due_at:
        unmet.append("ADMISSION_NOTICE_LATE")
    if ready_notice_at is None:
        unmet.append("READY_NOTICE_MISSING")
    if individual_declined:
        unmet.append("INDIVIDUAL_DECLINED")
    return unmet


def admission_notice_due_at(*, admitted_at: dt.datetime, judged_at: dt.datetime) -> dt.datetime:
    """LUS 4 kap. 1 §: the inskrivningsmeddelande within 24 hours of admission, or,
    when the physician only later judges that interventions may be needed, within 24
    hours of that judgement."""
    return hours_after(max(_aware(admitted_at), _aware(judged_at)), hours=24)
