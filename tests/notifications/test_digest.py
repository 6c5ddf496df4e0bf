import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from notifications.services import outbox_deliver_pending, preference_set
from tests.notifications.factories import ProcessFactory, build_registry
from workflows.digest import digest_send_all
from workflows.services import deadline_meet, deadline_open

pytestmark = pytest.mark.django_db

STHLM = ZoneInfo("Europe/Stockholm")
MORNING = dt.datetime(2026, 11, 24, 6, 30, tzinfo=STHLM)


def _open(org, kind, due_at, process=None):
    with time_machine.travel(MORNING - dt.timedelta(days=3), tick=False):
        return deadline_open(
            process=process or ProcessFactory(),
            kind=kind,
            responsible_organisation=org,
            due_at=due_at,
        )


def test_daily_digest_lists_overdue_and_due_today_per_user():
    reg = build_registry()
    _open(reg.bistand, "INSKRIVNING_ACK", MORNING - dt.timedelta(hours=10))  # overdue
    _open(reg.bistand, "UTSKRIVNINGSKLAR_ACK", MORNING.replace(hour=15))  # today
    _open(reg.bistand, "SIP_KALLELSE", MORNING + dt.timedelta(days=1))  # tomorrow: not listed
    _open(reg.vardcentral, "FAST_VARDKONTAKT", MORNING.replace(hour=9))  # another unit
    met = _open(reg.bistand, "DISCHARGE_INFORMATION", MORNING.replace(hour=10))
    with time_machine.travel(MORNING - dt.timedelta(days=1), tick=False):
        deadline_meet(process=met.process, kind=met.kind, responsible_organisation=reg.bistand)
    preference_set(user=reg.ksa, daily_digest=False)

    with time_machine.travel(MORNING, tick=False):
        queued = digest_send_all()
        assert digest_send_all() == 0  # once a day
        outbox_deliver_pending()

    by_user = {m.to[0]: m for m in mail.outbox}
    # Bistånd's handläggare and Rosenlund's vårdkontakt; the KSA opted out.
    assert set(by_user) == {
        "handlaggare.sodermalm@example.se",
        "vardkontakt.rosenlund@example.se",
    }
    assert queued == 2
    digest = by_user["handlaggare.sodermalm@example.se"]
    assert digest.subject == (
        "Dina organisationer har 1 passerad tidsfrist och 1 som går ut i dag (24 nov 2026)"
    )
    assert "Försenat (1)" in digest.body
    assert "Kvittera inskrivningsmeddelandet, Södermalm biståndsenhet äldre" in digest.body
    assert "Ska göras i dag (1)" in digest.body
    assert "Kvittera meddelandet om utskrivningsklar" in digest.body
    assert "Skicka kallelse till SIP" not in digest.body
    assert "Information vid utskrivning" not in digest.body
    assert "Utse fast vårdkontakt" not in digest.body
    assert "/notifications/installningar/" in digest.body


def test_no_digest_when_nothing_is_due():
    reg = build_registry()
    _open(reg.bistand, "SIP_KALLELSE", MORNING + dt.timedelta(days=2))
    with time_machine.travel(MORNING, tick=False):
        assert digest_send_all() == 0
