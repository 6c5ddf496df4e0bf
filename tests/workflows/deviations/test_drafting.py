"""Automatic drafts from breached deadlines and SIP absences: one per cause, ever."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction

from workflows.deviations import services
from workflows.deviations.models import Deviation

from .factories import case_with, deadline_for

DUE = dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_breached_deadline_is_drafted_from_the_kommun_side_to_the_responsible_unit(w):
    process = case_with(w.bistand, w.ward)
    deadline = deadline_for(process, w.ward, due_at=DUE)
    deviation = services.deviation_draft_from_deadline(deadline=deadline)
    assert deviation.status == "DRAFT"
    assert deviation.receiving_organisation == w.ward
    assert deviation.reporting_organisation == w.bistand
    assert deviation.category == "INSKRIVNINGSMEDDELANDE_LATE"
    assert deviation.process_step == "INSKRIVNING"
    assert (deviation.deadline, deviation.process_id) == (deadline, process.pk)
    assert "Södersjukhuset avd 53 medicin" in deviation.description
    assert deviation.events.get().kind == "CREATED"


@pytest.mark.django_db
def test_a_kommun_unit_that_missed_its_deadline_is_reported_by_the_region_side(w):
    process = case_with(w.bistand, w.ward)
    deadline = deadline_for(process, w.bistand, kind="INSKRIVNING_ACK", due_at=DUE)
    deviation = services.deviation_draft_from_deadline(deadline=deadline)
    assert (deviation.reporting_organisation, deviation.receiving_organisation) == (
        w.ward,
        w.bistand,
    )


@pytest.mark.django_db
def test_drafting_twice_returns_the_first_draft_even_after_dismissal(w):
    process = case_with(w.bistand, w.ward)
    deadline = deadline_for(process, w.ward, due_at=DUE)
    first = services.deviation_draft_from_deadline(deadline=deadline)
    assert services.deviation_draft_from_deadline(deadline=deadline) == first
    services.deviation_dismiss(deviation=first, by=w.handlaggare, reason="Befogad försening.")
    again = services.deviation_draft_from_deadline(deadline=deadline)
    assert again.pk == first.pk
    assert again.status == "DISMISSED"
    assert Deviation.objects.count() == 1


@pytest.mark.django_db
def test_met_on_time_cancelled_and_lonely_deadlines_draft_nothing(w):
    process = case_with(w.bistand, w.ward)
    on_time = deadline_for(
        process, w.ward, due_at=DUE, status="MET", met_at=DUE - dt.timedelta(hours=1)
    )
    cancelled = deadline_for(process, w.ward, kind="SIP_KALLELSE", due_at=DUE, status="CANCELLED")
    alone = deadline_for(case_with(), w.ward, due_at=DUE)  # nobody else in the case
    for deadline in (on_time, cancelled, alone):
        assert services.deviation_draft_from_deadline(deadline=deadline) is None
    late = deadline_for(
        process,
        w.ward,
        kind="DISCHARGE_INFORMATION",
        due_at=DUE,
        status="MET",
        met_at=DUE + dt.timedelta(hours=3),
    )
    assert (
        services.deviation_draft_from_deadline(deadline=late).category
        == "DISCHARGE_INFORMATION_MISSING"
    )
    assert Deviation.objects.count() == 1


@pytest.mark.django_db
def test_drafting_inside_a_callers_transaction_that_rolls_back_leaves_nothing(w):
    process = case_with(w.bistand, w.ward)
    deadline = deadline_for(process, w.ward, due_at=DUE)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.deviation_draft_from_deadline(deadline=deadline)
        raise RuntimeError("the sweep failed later")
    assert not Deviation.objects.exists()


@pytest.mark.django_db
def test_sip_absence_and_unanswered_invitation_are_separate_causes(w):
    process = case_with(w.bistand, w.vardcentral)
    absent = services.deviation_draft_from_absence(
        process=process, organisation=w.vardcentral, kind=services.ABSENT, subject_key="meeting:1"
    )
    assert absent.category == "SIP_PARTICIPANT_ABSENT"
    assert absent.reporting_organisation == w.bistand
    unanswered = services.deviation_draft_from_absence(
        process=process,
        organisation=w.vardcentral,
        kind=services.NOT_ANSWERED,
        subject_key="invitation:7",
    )
    assert unanswered.category == "INVITATION_NOT_ANSWERED"
    assert (
        services.deviation_draft_from_absence(
            process=process, organisation=w.vardcentral, subject_key="meeting:1"
        )
        == absent
    )
    assert Deviation.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_drafts_of_one_cause_make_one_deviation(w):
    process = case_with(w.bistand, w.ward)
    deadline = deadline_for(process, w.ward, due_at=DUE)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def draft():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(services.deviation_draft_from_deadline(deadline=deadline).pk)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=draft) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert Deviation.objects.filter(cause_key=f"deadline:{deadline.pk}").count() == 1


@pytest.mark.django_db
def test_drafting_reads_the_participants_of_a_real_discharge(w):
    from .factories import discharge

    stay = discharge(
        w.ward,
        units=[("VARDCENTRAL", w.vardcentral), ("SOCIALTJANST", w.bistand)],
        ready_at=DUE,
    )
    deadline = deadline_for(stay, w.ward, due_at=DUE)
    deviation = services.deviation_draft_from_deadline(deadline=deadline)
    # The ward is on the region side: the kommun's unit reports, not the vårdcentral.
    assert deviation.reporting_organisation == w.bistand
    assert deviation.process_id == stay.pk
