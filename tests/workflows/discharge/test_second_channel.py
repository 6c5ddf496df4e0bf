"""LUS messages to units the planning IT support may not reach (reachability NO or
UNKNOWN): flagged on the case page, not counted as sent until a second channel is
recorded; and the case page's timeline of who was reminded or escalated to."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from coordination.models import AccessLog, Organisation
from workflows.discharge.flows import DischargeFlow
from workflows.discharge.models import DischargeEvent, MessageSecondChannel
from workflows.models import Deadline, DeadlineEvent
from workflows.tasks import deadlines_sweep

from .helpers import client_for, do, fresh
from .test_flow import local, register

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def _notify(world):
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        process = register(world, admitted=local(2022, 11, 14, 8, 0))
        do(
            client_for(world.nurse),
            process,
            DischargeFlow.send_admission_notice,
            {
                "socialtjanst": world.social.pk,
                "vardcentral": world.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
    return fresh(process)


@pytest.fixture
def unreachable(world):
    world.social.reachability = Organisation.Reachability.NO
    world.social.save(update_fields=["reachability"])
    return world


def _answer_deadlines(process):
    return {
        d.responsible_organisation_id: d
        for d in Deadline.objects.filter(
            process_id=process.pk, kind="INSKRIVNING_ACK", status="OPEN"
        )
    }


def _post(client, process, **data):
    return client.post(reverse("utskrivning:second_channel", args=[process.pk]), data)


def test_admission_notice_to_an_unreachable_unit_counts_once_a_second_channel_is_recorded(
    unreachable,
):
    world = unreachable
    process = _notify(world)
    # The reachable vårdcentral's answer clock runs; the unreachable kommun's does not.
    assert set(_answer_deadlines(process)) == {world.vc.pk}

    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        page = ward.get(process.get_absolute_url()).content.decode()
    assert "Meddelanden till enheter som inte nås" in page
    assert page.count('data-testid="second-channel-missing"') == 1
    assert "Andra kanal krävs: räknas inte som skickat" in page
    assert "Registrera andra kanalen" in page

    # The receiving unit sees the flag too, but only the sender records the channel.
    kommun = client_for(world.handlaggare)
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        kommun_page = kommun.get(process.get_absolute_url()).content.decode()
        refused = _post(
            kommun,
            process,
            unit=process.unit("SOCIALTJANST").pk,
            message="ADMISSION_NOTICE",
            channel="PHONE",
            note="Ringde själv",
        )
    assert "Andra kanal krävs: räknas inte som skickat" in kommun_page
    assert "Registrera andra kanalen" not in kommun_page
    assert refused.status_code == 302
    assert not MessageSecondChannel.objects.exists()

    logged = AccessLog.objects.filter(process_id=process.pk, action=AccessLog.Action.UPDATE)
    before = logged.count()
    with time_machine.travel(local(2022, 11, 14, 11, 30), tick=False):
        response = _post(
            ward,
            process,
            unit=process.unit("SOCIALTJANST").pk,
            message="ADMISSION_NOTICE",
            channel="PHONE",
            note="Talade med Karin Berg, biståndsenheten",
        )
        assert response.status_code == 302
        page = ward.get(response.url, follow=True).content.decode()
    assert "Andra kanalen är registrerad" in page
    assert 'data-testid="second-channel-missing"' not in page
    assert "Talade med Karin Berg, biståndsenheten" in page
    assert "Telefon" in page
    assert logged.count() == before + 1

    record = MessageSecondChannel.objects.get()
    assert (record.by, record.at) == (world.nurse, local(2022, 11, 14, 11, 30))
    assert DischargeEvent.objects.filter(
        process=process, kind=DischargeEvent.Kind.SECOND_CHANNEL
    ).exists()
    # The unit's answer deadline starts at the second channel, not at the notice.
    deadlines = _answer_deadlines(process)
    assert deadlines[world.social.pk].due_at == local(2022, 11, 14, 11, 30) + 24 * H
    assert deadlines[world.vc.pk].due_at == local(2022, 11, 14, 9, 0) + 24 * H


def test_second_channel_bad_input_writes_nothing(unreachable):
    world = unreachable
    process = _notify(world)
    ward = client_for(world.nurse)
    social = process.unit("SOCIALTJANST").pk
    cases = [
        {"unit": social, "message": "ADMISSION_NOTICE", "channel": "PHONE", "note": "  "},
        {"unit": social, "message": "ADMISSION_NOTICE", "channel": "PIGEON", "note": "x"},
        # Nothing is pending for this message yet: no ready-for-discharge notice.
        {"unit": social, "message": "READY_NOTICE", "channel": "LETTER", "note": "Brev"},
    ]
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        for data in cases:
            response = _post(ward, process, **data)
            assert response.status_code == 302
            errors = [str(m) for m in response.wsgi_request._messages]
            assert errors, data
    # A reachable unit needs no second channel and is not offered as one.
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        _post(
            ward,
            process,
            unit=process.unit("VARDCENTRAL").pk,
            message="ADMISSION_NOTICE",
            channel="PHONE",
            note="Ringde",
        )
    assert not MessageSecondChannel.objects.exists()
    assert set(_answer_deadlines(process)) == {world.vc.pk}


def test_reachable_units_are_not_flagged(world):
    process = _notify(world)
    page = client_for(world.nurse).get(process.get_absolute_url()).content.decode()
    assert "Meddelanden till enheter som inte nås" not in page
    assert set(_answer_deadlines(process)) == {world.social.pk, world.vc.pk}


def test_case_page_names_who_was_told_at_each_rung_and_the_rule(world):
    process = _notify(world)
    deadline = _answer_deadlines(process)[world.social.pk]
    due = deadline.due_at
    for at in (due - 4 * H, due, due + 4 * H, due + 24 * H):
        with time_machine.travel(at, tick=False):
            deadlines_sweep()
    events = {e.kind: e for e in deadline.events.all()}
    assert {
        DeadlineEvent.Kind.REMINDED,
        DeadlineEvent.Kind.ESCALATED,
        DeadlineEvent.Kind.BREACHED,
    } <= set(events)
    reminded = deadline.events.filter(kind=DeadlineEvent.Kind.REMINDED).first()
    assert world.handlaggare.email in reminded.note

    with time_machine.travel(due + 25 * H, tick=False):
        page = client_for(world.nurse).get(process.get_absolute_url()).content.decode()
    assert "Vem som fick besked, när och enligt vilken regel" in page
    block = page.split(f'data-testid="deadline-timeline-{deadline.pk}"')[1].split("</div>")[0]
    assert "Kvittera inskrivningsmeddelandet" in block or "inskrivningsmeddelande" in block
    assert "Regel: Local rule (KARDBORRE_LOCAL_DEADLINES)" in block
    assert f"Påminnelse till {reminded.note}" in block
    escalated = events[DeadlineEvent.Kind.ESCALATED].note
    breached = events[DeadlineEvent.Kind.BREACHED].note
    none = "ingen ny mottagare hittades"
    escalated_words = escalated if escalated != "no recipient found" else none
    breached_words = breached if breached != "no recipient found" else none
    assert f"Eskalerad till {escalated_words} (KSA)" in block
    assert f"Överskriden: besked till {breached_words} (MAS eller chefläkare)" in block
    # Oldest first: reminder, escalation, breach.
    assert block.index("Påminnelse") < block.index("Eskalerad") < block.index("Överskriden:")


def test_the_wards_admission_notice_deadline_waits_for_the_second_channel(unreachable):
    """LUS 4 kap. 1 §: the notice is sent to every unit within 24 hours. A unit the
    planning IT support may not reach has it only once a second channel is recorded,
    so the ward's duty is met then, not when the notice went out electronically."""
    world = unreachable
    process = _notify(world)
    duty = Deadline.objects.get(process_id=process.pk, kind="INSKRIVNINGSMEDDELANDE")
    assert duty.status == Deadline.Status.OPEN

    # The ward's start page lists the unit and the message still owed.
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 10, 0), tick=False):
        start = ward.get("/").content.decode()
    table = start.split('id="second-channel-lus-table"')[1].split("</table>")[0]
    assert world.social.name in table
    assert "Inskrivningsmeddelande" in table
    assert f"#{process.pk}" in table
    # ...counted in the summary at the top.
    assert "1 mottagare väntar på en andra kanal" in start

    with time_machine.travel(local(2022, 11, 14, 11, 30), tick=False):
        _post(
            ward,
            process,
            unit=process.unit("SOCIALTJANST").pk,
            message="ADMISSION_NOTICE",
            channel="LETTER",
            note="Brev till biståndsenheten",
        )
        start = ward.get("/").content.decode()
    duty.refresh_from_db()
    assert duty.status == Deadline.Status.MET
    assert duty.met_at == local(2022, 11, 14, 11, 30)
    table = start.split('id="second-channel-lus-table"')[1].split("</table>")[0]
    assert world.social.name not in table


def test_the_admission_notice_deadline_is_met_at_once_when_every_unit_is_reachable(world):
    process = _notify(world)
    duty = Deadline.objects.get(process_id=process.pk, kind="INSKRIVNINGSMEDDELANDE")
    assert duty.status == Deadline.Status.MET


def test_the_case_page_shows_a_reminder_held_to_office_hours(world):
    """A reminder that falls in the night is held to the next opening, and the case
    page says so (the rule's time and the time it will go)."""
    process = _notify(world)
    deadline = _answer_deadlines(process)[world.vc.pk]
    # Due Tuesday 09:00 + the local 24-hour rule: reminder 4 h before = 05:00, held to 08:00.
    assert deadline.due_at == local(2022, 11, 15, 9, 0)
    with time_machine.travel(local(2022, 11, 14, 18, 0), tick=False):
        page = client_for(world.nurse).get(process.get_absolute_url()).content.decode()
    line = page.split(f'data-testid="next-rung-{deadline.pk}"')[1].split("</li>")[0]
    assert "Nästa: Påminnelse, hålls till 15 nov 2022 08:00" in line
    assert "enligt regeln 15 nov 2022 05:00" in line


def test_ready_notice_to_an_unreachable_vardcentral_waits_for_its_second_channel(world):
    """The ready-for-discharge notice (LUS 4 kap. 5 §) to a vårdcentral the planning IT
    support may not reach: flagged and listed for the ward until a second channel is
    recorded; the vårdcentral's acknowledgement clock starts then."""
    world.vc.reachability = Organisation.Reachability.UNKNOWN
    world.vc.save(update_fields=["reachability"])
    process = _notify(world)
    ward = client_for(world.nurse)
    with time_machine.travel(local(2022, 11, 14, 9, 30), tick=False):
        _post(
            ward,
            process,
            unit=process.unit("VARDCENTRAL").pk,
            message="ADMISSION_NOTICE",
            channel="PHONE",
            note="Ringde vårdcentralen",
        )
    with time_machine.travel(local(2022, 11, 16, 10, 30), tick=False):
        do(ward, process, DischargeFlow.issue_ready_notice, {"issued_at": "2022-11-16T10:30"})
        page = ward.get(process.get_absolute_url()).content.decode()
        start = ward.get("/").content.decode()
    assert page.count('data-testid="second-channel-missing"') == 1
    table = start.split('id="second-channel-lus-table"')[1].split("</table>")[0]
    assert world.vc.name in table
    assert "utskrivningsklar" in table.lower()
    assert "Inskrivningsmeddelande" not in table
    assert not Deadline.objects.filter(process_id=process.pk, kind="UTSKRIVNINGSKLAR_ACK").exists()

    with time_machine.travel(local(2022, 11, 16, 11, 0), tick=False):
        _post(
            ward,
            process,
            unit=process.unit("VARDCENTRAL").pk,
            message="READY_NOTICE",
            channel="SECURE_EMAIL",
            note="Säker e-post till vårdcentralen",
        )
        start = ward.get("/").content.decode()
    ack = Deadline.objects.get(process_id=process.pk, kind="UTSKRIVNINGSKLAR_ACK")
    assert ack.responsible_organisation == world.vc
    assert ack.status == Deadline.Status.OPEN
    table = start.split('id="second-channel-lus-table"')[1].split("</table>")[0]
    assert world.vc.name not in table
