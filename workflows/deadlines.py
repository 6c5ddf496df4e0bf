"""Deadline arithmetic: pure functions, no database, no clock.

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
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetimes are not accepted: pass an aware datetime")
    return at


def local_date(at: dt.datetime) -> dt.date:
    """The calendar date in Stockholm at the instant ``at``."""
    return _aware(at).astimezone(STOCKHOLM).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day``, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=STOCKHOLM).astimezone(dt.UTC)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last microsecond of ``day`` in Stockholm, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=STOCKHOLM).astimezone(dt.UTC)


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


def local_time(at: dt.datetime) -> dt.time:
    return _aware(at).astimezone(STOCKHOLM).timetz().replace(tzinfo=None)
