"""Calendar files (iCalendar, RFC 5545) attached to an email.

A sender puts a ``calendar_event`` in the context of an outbox row (plain data: a
stable ``uid``, ``start`` and ``end`` as ISO 8601, ``summary``, ``location``,
``description``, ``url``, ``sequence`` and ``cancelled``); the row's delivery attaches
it as ``kallelse.ics`` (``services._message``). The same ``uid`` with a higher
``sequence`` and ``cancelled`` set withdraws the event from the recipient's calendar.
Like the email itself, an event carries no personnummer, name or health data.

>>> event = {"uid": "sip-meeting-7@kardborre", "start": "2026-12-09T13:00:00+01:00",
...          "end": "2026-12-09T14:00:00+01:00", "summary": "SIP-möte (SIP #7)"}
>>> text = ics_bytes(event).decode()
>>> "BEGIN:VEVENT" in text and "UID:sip-meeting-7@kardborre" in text
True
>>> "DTSTART:20261209T120000Z" in text  # stored in UTC
True
>>> "STATUS:CANCELLED" in ics_bytes({**event, "cancelled": True}).decode()
True
"""

import datetime as dt

from icalendar import Calendar, Event

PRODUCT_ID = "-//Kardborre//SIP//SV"
FILENAME = "kallelse.ics"


def ics_bytes(event: dict) -> bytes:
    """One VEVENT in a VCALENDAR (METHOD PUBLISH, or CANCEL when cancelled)."""
    cancelled = bool(event.get("cancelled"))
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    item = Event()
    item.add("uid", event["uid"])
    item.add("dtstamp", dt.datetime.now(dt.UTC))
    item.add("dtstart", _utc(event["start"]))
    item.add("dtend", _utc(event["end"]))
    item.add("summary", event.get("summary", ""))
    item.add("sequence", int(event.get("sequence", 0)))
    item.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    for name in ("location", "description", "url"):
        if event.get(name):
            item.add(name, event[name])
    calendar.add_component(item)
    return calendar.to_ical()


def _utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
