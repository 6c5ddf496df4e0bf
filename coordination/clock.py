"""The one clock and the one calendar of the system.

Every "now" is ``clock.now()`` (Django's ``timezone.now``, which tests move with
time-machine); every calendar date is a date in Europe/Stockholm. Instants are stored
in UTC; these helpers turn them into Stockholm dates and back, also across the DST
changes.

>>> import datetime as dt
>>> local_date(dt.datetime(2026, 3, 28, 23, 30, tzinfo=dt.UTC))   # 00:30 in Stockholm
datetime.date(2026, 3, 29)
>>> start_of_local_day(dt.date(2026, 3, 29)).isoformat()           # CET, UTC+1
'2026-03-28T23:00:00+00:00'
>>> end_of_local_day(dt.date(2026, 3, 29)).isoformat()             # CEST from 02:00
'2026-03-29T21:59:59.999999+00:00'
>>> local_date(dt.datetime(2026, 3, 28, 23, 30))
Traceback (most recent call last):
...
ValueError: naive datetimes are not accepted: pass an aware datetime
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in Stockholm."""
    return local_date(now())


def aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetimes are not accepted: pass an aware datetime")
    return at


def local_date(at: dt.datetime) -> dt.date:
    """The calendar date in Stockholm at the instant ``at``."""
    return aware(at).astimezone(STOCKHOLM).date()


def local_time(at: dt.datetime) -> dt.time:
    """The wall-clock time in Stockholm at the instant ``at`` (naive time)."""
    return aware(at).astimezone(STOCKHOLM).timetz().replace(tzinfo=None)


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day``, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=STOCKHOLM).astimezone(dt.UTC)


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last microsecond of ``day`` in Stockholm, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=STOCKHOLM).astimezone(dt.UTC)
