"""The sweep's breach rung drafts the deviation for the MAS, once, in its transaction."""

import datetime as dt

import pytest
import time_machine

from notifications.models import OutboundEmail
from workflows.deviations.models import Deviation
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

from .factories import discharge

H = dt.timedelta(hours=1)
DUE = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def test_a_breach_found_by_the_sweep_drafts_one_deviation_and_tells_the_mas(w):
    stay = discharge(w.ward, units=[("SOCIALTJANST", w.bistand)], ready_at=DUE)
    with time_machine.travel(DUE - 30 * H, tick=False):
        deadline = deadline_open(
            process=stay,
            kind="INSKRIVNINGSMEDDELANDE",
            responsible_organisation=w.ward,
            due_at=DUE,
        )
    with time_machine.travel(DUE + 2 * H, tick=False):  # reminders and escalation only
        deadlines_sweep()
    assert not Deviation.objects.exists()

    with time_machine.travel(DUE + 5 * H, tick=False):  # past the breach rung
        assert deadlines_sweep().breaches == 1
    deviation = Deviation.objects.get()
    assert deviation.status == "DRAFT"
    assert deviation.deadline_id == deadline.pk
    assert (deviation.reporting_organisation, deviation.receiving_organisation) == (
        w.bistand,
        w.ward,
    )
    assert OutboundEmail.objects.filter(to=w.mas.email, deadline=deadline).exists()

    with time_machine.travel(DUE + 50 * H, tick=False):
        deadlines_sweep()
    assert Deviation.objects.count() == 1


def test_the_case_page_lists_its_deviations_and_offers_to_report_one(w, client):
    stay = discharge(w.ward, units=[("SOCIALTJANST", w.bistand)], ready_at=DUE)
    with time_machine.travel(DUE - 30 * H, tick=False):
        deadline_open(
            process=stay,
            kind="INSKRIVNINGSMEDDELANDE",
            responsible_organisation=w.ward,
            due_at=DUE,
        )
    with time_machine.travel(DUE + 5 * H, tick=False):
        deadlines_sweep()
    deviation = Deviation.objects.get()
    client.force_login(w.handlaggare)
    page = client.get(stay.get_absolute_url()).content.decode()
    assert "Avvikelser" in page and deviation.get_absolute_url() in page
    assert f"/deviations/ny/?process={stay.pk}" in page
    # the receiving ward does not see the draft until it is reported
    client.force_login(w.nurse)
    page = client.get(stay.get_absolute_url()).content.decode()
    assert deviation.get_absolute_url() not in page
    assert "Inga avvikelser om ärendet." in page
