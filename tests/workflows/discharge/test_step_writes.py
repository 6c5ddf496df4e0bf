"""What a step writes: only the changed columns of the case row, and each deadline it
closes or opens with its event (``workflows.services``), in as few statements as the
rule allows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordination.models import ProcessParty
from workflows.discharge import services
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeProcess, Judgement
from workflows.models import Deadline, DeadlineEvent
from workflows.services import deadline_cancel, deadline_meet, deadline_open, deadlines_cancel_open

from .factories import WardFactory


@pytest.fixture
def case(world):
    process = DischargeProcess(flow_class=DischargeFlow)
    return services.discharge_register(
        process=process,
        individual=world.individual,
        ward=world.ward,
        admitted_at=timezone.now() - dt.timedelta(hours=1),
        care_type="SOMATIC",
        judgement=Judgement.MAY_NEED,
        by=world.nurse,
    )


def _writes(queries):
    return [q["sql"] for q in queries if q["sql"].lstrip()[:6].upper() in ("UPDATE", "INSERT")]


# --- The case row --------------------------------------------------------------------


def test_a_save_writes_only_the_changed_columns_of_the_child_table(case):
    process = DischargeProcess.objects.get(pk=case.pk)
    process.estimated_discharge_date = dt.date(2026, 12, 24)
    with CaptureQueriesContext(connection) as queries:
        process.save()
    writes = _writes(queries)
    assert len(writes) == 1
    assert writes[0].startswith(
        'UPDATE "discharge_dischargeprocess" SET "estimated_discharge_date"'
    )
    assert "viewflow_process" not in writes[0] and '"ward_id"' not in writes[0]
    assert DischargeProcess.objects.get(pk=case.pk).estimated_discharge_date == dt.date(
        2026, 12, 24
    )


def test_a_save_keeps_what_another_transaction_wrote_to_other_columns(case):
    mine = DischargeProcess.objects.get(pk=case.pk)
    # Meanwhile another step writes another column of the same row.
    DischargeProcess.objects.filter(pk=case.pk).update(care_type="PSYCHIATRIC")
    mine.estimated_discharge_date = dt.date(2026, 12, 24)
    mine.save()
    row = DischargeProcess.objects.get(pk=case.pk)
    assert row.care_type == "PSYCHIATRIC"  # a full-row save would have put SOMATIC back
    assert row.estimated_discharge_date == dt.date(2026, 12, 24)


def test_nothing_changed_writes_nothing_and_a_json_change_in_place_is_seen(case):
    process = DischargeProcess.objects.get(pk=case.pk)
    with CaptureQueriesContext(connection) as queries:
        process.save()
    assert _writes(queries) == []
    process.data["note"] = "ändrad på plats"  # viewflow's JSON column, changed in place
    with CaptureQueriesContext(connection) as queries:
        process.save()
    assert [w[:25] for w in _writes(queries)] == ['UPDATE "viewflow_process"']
    assert DischargeProcess.objects.get(pk=case.pk).data == {"note": "ändrad på plats"}


def test_after_refresh_a_value_set_back_is_written(case):
    process = DischargeProcess.objects.get(pk=case.pk)
    DischargeProcess.objects.filter(pk=case.pk).update(care_type="PSYCHIATRIC")
    process.refresh_from_db()
    process.care_type = "SOMATIC"  # what it was when first read: still a change now
    process.save()
    assert DischargeProcess.objects.get(pk=case.pk).care_type == "SOMATIC"


def test_a_change_of_ward_makes_the_new_ward_a_party_and_other_saves_do_not_touch_parties(
    world, case
):
    other = WardFactory(area=world.district, name="Testsjukhuset avd 2")
    process = DischargeProcess.objects.get(pk=case.pk)
    process.estimated_discharge_date = dt.date(2026, 12, 24)
    with CaptureQueriesContext(connection) as queries:
        process.save()
    assert not any("coordination_processparty" in sql for sql in _writes(queries))
    process.ward = other
    process.save()
    wards = set(
        ProcessParty.objects.filter(process=case, reason=ProcessParty.Reason.WARD).values_list(
            "organisation_id", flat=True
        )
    )
    assert wards == {world.ward.pk, other.pk}


# --- Deadlines -----------------------------------------------------------------------


def _open(case, world, kind="DISCHARGE_INFORMATION", **extra):
    return deadline_open(
        process=case,
        kind=kind,
        responsible_organisation=world.ward,
        due_at=timezone.now() + dt.timedelta(days=1),
        by=world.nurse,
        **extra,
    )


def test_open_writes_the_deadline_and_its_event_and_replaces_an_open_one(case, world):
    first = _open(case, world)
    assert first.pk is not None
    assert list(first.events.values_list("kind", "by")) == [("OPENED", world.nurse.pk)]
    second = _open(case, world)
    first.refresh_from_db()
    assert first.status == Deadline.Status.CANCELLED and first.next_action_at is None
    assert list(first.events.values_list("kind", "note")) == [
        ("OPENED", ""),
        ("CANCELLED", "replaced"),
    ]
    assert second.status == Deadline.Status.OPEN
    assert Deadline.objects.get(pk=second.pk).next_action_at == second.next_action_at


def test_meet_closes_open_and_breached_ones_once_each_with_one_event(case, world):
    deadline = _open(case, world)
    Deadline.objects.filter(pk=deadline.pk).update(status=Deadline.Status.BREACHED)
    at = timezone.now() - dt.timedelta(minutes=5)
    with CaptureQueriesContext(connection) as queries:
        met = deadline_meet(process=case, kind="DISCHARGE_INFORMATION", by=world.nurse, at=at)
    assert len(queries) == 1  # the UPDATE and its events in one statement
    assert [(d.pk, d.status, d.met_at, d.met_by_id) for d in met] == [
        (deadline.pk, "MET", at, world.nurse.pk)
    ]
    row = Deadline.objects.get(pk=deadline.pk)
    assert (row.status, row.met_at, row.met_by_id, row.next_action_at) == (
        "MET",
        at,
        world.nurse.pk,
        None,
    )
    # Met again: nothing left to meet, no second MET event.
    assert deadline_meet(process=case, kind="DISCHARGE_INFORMATION", by=world.nurse) == []
    assert list(
        DeadlineEvent.objects.filter(deadline=deadline, kind="MET").values_list("at", flat=True)
    ) == [at]


def test_meet_and_cancel_touch_only_the_named_obligation(case, world):
    ward_info = _open(case, world)
    other_kind = _open(case, world, kind="FAST_VARDKONTAKT")
    other_subject = _open(case, world, subject_key="SOCIALTJANST")
    deadline_meet(process=case, kind="DISCHARGE_INFORMATION", by=world.nurse)
    statuses = dict(
        Deadline.objects.filter(pk__in=[ward_info.pk, other_kind.pk, other_subject.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {ward_info.pk: "MET", other_kind.pk: "OPEN", other_subject.pk: "OPEN"}
    deadline_cancel(process=case, kind="DISCHARGE_INFORMATION", subject_key="SOCIALTJANST")
    assert Deadline.objects.get(pk=other_subject.pk).status == "CANCELLED"
    assert Deadline.objects.get(pk=ward_info.pk).status == "MET"  # met stays met


def test_cancel_open_leaves_breached_and_met_as_the_record(case, world):
    breached = _open(case, world, kind="FAST_VARDKONTAKT")
    Deadline.objects.filter(pk=breached.pk).update(status=Deadline.Status.BREACHED)
    still_open = _open(case, world)
    cancelled = deadlines_cancel_open(process=case, by=world.nurse, note="withdrawn")
    assert still_open.pk in {d.pk for d in cancelled}
    assert breached.pk not in {d.pk for d in cancelled}
    assert Deadline.objects.get(pk=breached.pk).status == "BREACHED"
    assert list(
        DeadlineEvent.objects.filter(deadline=still_open, kind="CANCELLED").values_list(
            "note", "by"
        )
    ) == [("withdrawn", world.nurse.pk)]


# --- The units' emails -----------------------------------------------------------------


def test_units_emails_are_one_insert_named_until_rendered_at_delivery(world, case, mailoutbox):
    from django.core import mail
    from django.utils import translation

    from notifications.models import OutboundEmail
    from notifications.services import outbox_deliver_pending

    process = DischargeProcess.objects.get(pk=case.pk)
    with CaptureQueriesContext(connection) as queries:
        services.admission_notice_send(
            process=process,
            socialtjanst=world.social,
            vardcentral=world.vc,
            estimated_discharge_date=timezone.localdate() + dt.timedelta(days=3),
            by=world.nurse,
        )
    outbox_inserts = [q for q in _writes(queries) if "notifications_outboundemail" in q]
    assert len(outbox_inserts) == 1
    rows = list(OutboundEmail.objects.filter(process_id=case.pk).order_by("to"))
    assert sorted(row.to for row in rows) == sorted(
        [world.social.functional_mailbox, world.vc.functional_mailbox]
    )
    with translation.override("sv"):
        assert {row.display_subject for row in rows} == {"Inskrivningsmeddelande"}
    assert all(row.subject == "" and row.rendered_at is None for row in rows)
    # No personnummer or name in what is stored for rendering.
    stored = " ".join(str(row.context) for row in rows)
    assert world.individual.personal_identity_number not in stored
    assert world.individual.family_name not in stored

    mail.outbox.clear()
    outbox_deliver_pending()
    assert len(mail.outbox) == 2
    estimate = (timezone.localdate() + dt.timedelta(days=3)).day
    for message in mail.outbox:
        assert message.subject.startswith("Inskrivningsmeddelande")
        assert f"#{case.pk}" in message.subject
        assert world.ward.name in message.body
        assert f"Beräknat utskrivningsdatum: {estimate} " in message.body
        assert f"/utskrivning/{case.pk}/" in message.body
