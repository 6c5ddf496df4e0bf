"""Late answers are reminded: the day after the due date, then weekly, once a day."""

import datetime as dt

import pytest
import time_machine

from notifications.models import OutboundEmail
from workflows.deviations import services
from workflows.deviations.tasks import remind_late_answers

from .factories import DeviationFactory

pytestmark = pytest.mark.django_db

STHLM = dt.timezone(dt.timedelta(hours=1))


def _reminders():
    return OutboundEmail.objects.filter(template="deviations/emails/reminder")


def test_reminders_start_after_the_due_date_and_repeat_weekly(w):
    deviation = DeviationFactory(
        status="REPORTED",
        reporting_organisation=w.bistand,
        receiving_organisation=w.ward,
        answer_due_date=dt.date(2026, 11, 20),
    )
    DeviationFactory(  # answered in time: never reminded
        status="ANSWERED",
        reporting_organisation=w.bistand,
        receiving_organisation=w.ward,
        answer_due_date=dt.date(2026, 11, 1),
    )
    with time_machine.travel(dt.datetime(2026, 11, 20, 7, tzinfo=STHLM), tick=False):
        assert remind_late_answers() == 0  # due today: not late yet
    with time_machine.travel(dt.datetime(2026, 11, 21, 7, tzinfo=STHLM), tick=False):
        assert remind_late_answers() == 1
        assert services.deviations_remind_late_answers() == 0  # a second run that day
    assert sorted(_reminders().values_list("to", flat=True)) == [
        "avd53@example.se",
        "nurse.sos@example.se",
    ]
    assert "väntar på ert svar" in _reminders().first().subject
    with time_machine.travel(dt.datetime(2026, 11, 24, 7, tzinfo=STHLM), tick=False):
        assert remind_late_answers() == 0
    with time_machine.travel(dt.datetime(2026, 11, 28, 7, tzinfo=STHLM), tick=False):
        assert remind_late_answers() == 1
    assert _reminders().count() == 4
    assert deviation.events.filter(kind="REMINDED").count() == 2
