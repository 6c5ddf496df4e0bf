"""The sweep's breach rung drafts the deviation for the MAS, once, in its transaction."""

import datetime as dt

import pytest
import time_machine

from coordination.models import ProcessParty
from notifications.models import OutboundEmail
from tests.factories import MembershipFactory, OrganisationFactory
from workflows.deviations.models import Deviation
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

from .factories import discharge

H = dt.timedelta(hours=1)
DUE = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def test_a_breach_found_by_the_sweep_drafts_one_deviation_and_tells_the_mas(w):
    hsf = OrganisationFactory(name="HSF", area=w.region, huvudman="REGION")
    cheflakare = MembershipFactory(organisation=hsf, role="CHEFLAKARE").user
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
    # The ward owns the duty: its region's chefläkare is told; the kommun's MAS, who
    # reviews the draft on the dashboard, is not the ward's overseer.
    assert OutboundEmail.objects.filter(to=cheflakare.email, deadline=deadline).exists()
    assert not OutboundEmail.objects.filter(to=w.mas.email, deadline=deadline).exists()

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


def _breaching_cases(w, count):
    deadlines = []
    for _ in range(count):
        stay = discharge(w.ward, units=[("SOCIALTJANST", w.bistand)], ready_at=DUE)
        with time_machine.travel(DUE - 30 * H, tick=False):
            deadlines.append(
                deadline_open(
                    process=stay,
                    kind="INSKRIVNINGSMEDDELANDE",
                    responsible_organisation=w.ward,
                    due_at=DUE,
                )
            )
    # Reminders and the escalation first, so the next sweep takes the breach rung only.
    with time_machine.travel(DUE + 2 * H, tick=False):
        deadlines_sweep()
    return deadlines


def _breach_sweep_queries(now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as queries:
        result = deadlines_sweep()
    return result, len(queries)


def test_breaches_are_drafted_in_bulk_whatever_their_number(w):
    """Issue #15: the breach path costs at most two statements per breach; drafting is
    set-based, so the deviations of a batch cost the same for 2 breaches as for 8."""
    _breaching_cases(w, 2)
    few, few_queries = _breach_sweep_queries(DUE + 5 * H)
    assert few.breaches == 2
    _breaching_cases(w, 8)
    many, many_queries = _breach_sweep_queries(DUE + 5 * H)
    assert many.breaches == 8
    assert many_queries - few_queries <= 2 * (8 - 2), (few_queries, many_queries)
    drafted = Deviation.objects.filter(source=Deviation.Source.DEADLINE)
    assert drafted.count() == 10
    for deviation in drafted:
        assert deviation.status == "DRAFT"
        assert deviation.events.get().kind == "CREATED"
        assert (deviation.reporting_organisation, deviation.receiving_organisation) == (
            w.bistand,
            w.ward,
        )
        # The reporter is a party of the case (coordination.access) as with one draft.
        assert ProcessParty.objects.filter(
            process_id=deviation.process_id,
            organisation=w.bistand,
            reason=ProcessParty.Reason.DEVIATION,
        ).exists()
