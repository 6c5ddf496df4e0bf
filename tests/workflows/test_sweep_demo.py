"""The demo fast-forward: a case left alone shows reminders and an escalation at once."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from notifications.models import OutboundEmail
from tests.factories import OrganisationFactory
from tests.notifications.factories import ProcessFactory, build_registry
from workflows.models import Deadline
from workflows.services import deadline_open

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def test_fast_forward_moves_demo_deadlines_only_and_sweeps(settings):
    settings.DEBUG = True
    reg = build_registry()
    demo_unit = reg.bistand
    demo_unit.functional_mailbox = "sodermalm-bistandsenhet-aldre@demo.kardborre.se"
    demo_unit.save()
    real_unit = OrganisationFactory(area=reg.soder, functional_mailbox="real@example.se")
    with time_machine.travel(NOW, tick=False):
        demo = deadline_open(
            process=ProcessFactory(),
            kind="INSKRIVNING_ACK",
            responsible_organisation=demo_unit,
            due_at=NOW + dt.timedelta(hours=24),
        )
        real = deadline_open(
            process=ProcessFactory(),
            kind="INSKRIVNING_ACK",
            responsible_organisation=real_unit,
            due_at=NOW + dt.timedelta(hours=24),
        )
        out = StringIO()
        call_command("demo_fast_forward", hours=30, stdout=out)
    assert "Moved 1 open demo deadline(s) 30 h back." in out.getvalue()
    # Hour by hour: the reminder before, the reminder at the due time, the escalation.
    assert "2 reminder(s), 1 escalation(s), 0 breach(es)" in out.getvalue()
    demo.refresh_from_db()
    real.refresh_from_db()
    assert demo.due_at == NOW - dt.timedelta(hours=6)
    assert demo.escalation_level == 3  # escalated, the breach comes later
    assert demo.status == Deadline.Status.OPEN
    assert real.due_at == NOW + dt.timedelta(hours=24)
    assert OutboundEmail.objects.filter(deadline=demo).exists()
    assert not OutboundEmail.objects.filter(deadline=real).exists()


def test_fast_forward_refuses_outside_the_demo(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_fast_forward", hours=5)
