"""The deadline sweep: the ladder per kind, who gets each rung, and idempotency."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from notifications.models import OutboundEmail
from notifications.services import outbox_deliver_pending
from tests.notifications.factories import ProcessFactory, build_registry
from workflows import escalation, hooks
from workflows.models import Deadline, DeadlineEvent
from workflows.services import deadline_meet, deadline_open
from workflows.tasks import deadlines_sweep

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
# INSKRIVNING_ACK: remind 4 h before, at due, escalate 4 h after, breach 24 h after.
DUE = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)  # 12:00 in Stockholm
OPENED = DUE - 20 * H


@pytest.fixture
def reg():
    return build_registry()


def _open(
    reg, *, organisation=None, kind="INSKRIVNING_ACK", due_at=DUE, process=None, opened=OPENED, **kw
):
    with time_machine.travel(opened, tick=False):
        return deadline_open(
            process=process or ProcessFactory(),
            kind=kind,
            responsible_organisation=organisation or reg.bistand,
            due_at=due_at,
            **kw,
        )


def _sweep_at(at):
    with time_machine.travel(at, tick=False):
        return deadlines_sweep()


def _recipients(deadline, level):
    return sorted(
        OutboundEmail.objects.filter(
            deadline=deadline, idempotency_key__contains=f":rung:{level}:"
        ).values_list("to", flat=True)
    )


def test_nothing_happens_before_the_first_rung(reg):
    deadline = _open(reg)
    assert deadline.next_action_at == DUE - 4 * H
    assert _sweep_at(DUE - 4 * H - M).deadlines == 0
    assert not OutboundEmail.objects.exists()


def test_reminder_goes_to_the_organisation_members_and_mailbox_and_is_swedish(reg):
    deadline = _open(reg)
    result = _sweep_at(DUE - 4 * H)
    assert (result.deadlines, result.reminders) == (1, 1)
    assert _recipients(deadline, 0) == [
        "bistand.soder@example.se",
        "handlaggare.sodermalm@example.se",
        "ksa.sodermalm@example.se",
    ]
    deadline.refresh_from_db()
    assert deadline.escalation_level == 1
    assert deadline.next_action_at == DUE
    event = deadline.events.get(kind=DeadlineEvent.Kind.REMINDED)
    assert event.level == 0

    with time_machine.travel(DUE - 4 * H, tick=False):
        assert outbox_deliver_pending() == 3
    subjects = {m.subject for m in mail.outbox}
    assert subjects == {
        "Påminnelse: inskrivningsmeddelandet ska kvitteras senast 24 nov 2026 12:00"
    }
    body = mail.outbox[0].body
    assert "Södermalm biståndsenhet äldre" in body
    assert "Meddelandet innehåller inga personuppgifter" in body


def test_a_responsible_person_gets_the_reminder_instead_of_the_unit(reg):
    deadline = _open(reg, responsible_user=reg.handlaggare)
    _sweep_at(DUE - 4 * H)
    assert _recipients(deadline, 0) == ["handlaggare.sodermalm@example.se"]


def test_running_the_sweep_twice_sends_each_reminder_once(reg):
    deadline = _open(reg)
    _sweep_at(DUE - 4 * H)
    again = _sweep_at(DUE - 4 * H + 30 * M)
    assert again.deadlines == 0
    assert OutboundEmail.objects.filter(deadline=deadline).count() == 3
    assert deadline.events.filter(kind=DeadlineEvent.Kind.REMINDED).count() == 1
    with time_machine.travel(DUE - 3 * H, tick=False):
        outbox_deliver_pending()
        outbox_deliver_pending()
    assert len(mail.outbox) == 3


def test_the_whole_ladder_kommun_side(reg):
    deadline = _open(reg)
    _sweep_at(DUE - 4 * H)
    _sweep_at(DUE)
    assert len(_recipients(deadline, 1)) == 3  # reminder at the due time, overdue wording

    _sweep_at(DUE + 4 * H)
    # Escalation: the district's KSA organisation, its KSA-role people and its mailbox.
    assert _recipients(deadline, 2) == ["bistand.soder@example.se", "ksa.sodermalm@example.se"]

    _sweep_at(DUE + 24 * H)
    # Breach: the MAS of the kommun (Stockholm, via the district), not Huddinge's.
    assert _recipients(deadline, 3) == ["mas.sodermalm@example.se"]
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.BREACHED
    assert deadline.breached_at == DUE + 24 * H
    assert deadline.next_action_at is None
    assert list(deadline.events.values_list("kind", "level")) == [
        ("OPENED", 0),
        ("REMINDED", 0),
        ("REMINDED", 1),
        ("ESCALATED", 2),
        ("BREACHED", 3),
    ]
    assert _sweep_at(DUE + 48 * H).deadlines == 0

    with time_machine.travel(DUE + 24 * H, tick=False):
        outbox_deliver_pending()
    subjects = sorted({m.subject for m in mail.outbox})
    assert subjects == [
        "Eskalering: inskrivningsmeddelandet har inte kvitterats i tid (senast 24 nov 2026 12:00)",
        "Försenat: inskrivningsmeddelandet har inte kvitterats (senast 24 nov 2026 12:00)",
        "Påminnelse: inskrivningsmeddelandet ska kvitteras senast 24 nov 2026 12:00",
        "Tidsgränsen har passerats: inskrivningsmeddelandet har inte kvitterats (senast 24 nov 2026 12:00)",
    ]


def test_a_met_deadline_stops_the_ladder_at_once(reg):
    deadline = _open(reg)
    _sweep_at(DUE - 4 * H)
    with time_machine.travel(DUE - H, tick=False):
        deadline_meet(
            process=deadline.process,
            kind=deadline.kind,
            responsible_organisation=reg.bistand,
            by=reg.handlaggare,
        )
    assert _sweep_at(DUE + 48 * H).deadlines == 0
    assert OutboundEmail.objects.filter(deadline=deadline).count() == 3
    assert not deadline.events.filter(kind__in=["ESCALATED", "BREACHED"]).exists()


def test_kommun_side_without_district_ksa_escalates_to_the_kommun_ksa(reg):
    reg.soder.ksa = None
    reg.soder.save()
    reg.stockholm.ksa = reg.sdf  # the kommun's own coordinating unit, no KSA role there
    reg.stockholm.save()
    deadline = _open(reg, organisation=reg.hsv)
    _sweep_at(DUE + 4 * H)
    # sdf has no mailbox and nobody in the KSA role there: all its active members.
    assert _recipients(deadline, 2) == ["mas.sodermalm@example.se"]
    assert Deadline.objects.get(pk=deadline.pk).escalation_level == 3


def test_region_side_escalates_to_the_gsa_of_the_area(reg):
    deadline = _open(reg, organisation=reg.vardcentral, kind="FAST_VARDKONTAKT")
    _sweep_at(DUE + 2 * H)
    assert _recipients(deadline, 2) == ["rosenlund@example.se", "vardkontakt.rosenlund@example.se"]


def test_region_unit_without_gsa_uses_the_area_of_the_cases_kommun_side_units(reg):
    process = ProcessFactory()
    # The case also involves the kommun's biståndsenhet in Södermalm.
    _open(reg, process=process, organisation=reg.bistand, kind="UTSKRIVNINGSKLAR_ACK")
    ward_deadline = _open(reg, process=process, organisation=reg.ward)
    _sweep_at(DUE + 4 * H)
    assert _recipients(ward_deadline, 2) == [
        "rosenlund@example.se",
        "vardkontakt.rosenlund@example.se",
    ]
    _sweep_at(DUE + 24 * H)
    # A region-side breach goes to the MAS of the kommuns taking part.
    assert _recipients(ward_deadline, 3) == ["mas.sodermalm@example.se"]


def test_after_downtime_old_reminders_are_skipped_but_escalation_and_breach_are_not(reg):
    deadline = _open(reg)
    result = _sweep_at(DUE + 30 * H)
    assert (result.reminders, result.escalations, result.breaches) == (0, 1, 1)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.BREACHED
    kinds = list(deadline.events.values_list("kind", flat=True))
    assert kinds == ["OPENED", "ESCALATED", "BREACHED"]


def test_catching_up_several_reminders_sends_only_the_latest(reg):
    deadline = _open(reg)
    result = _sweep_at(DUE + H)
    assert result.reminders == 1
    assert _recipients(deadline, 0) == []
    assert len(_recipients(deadline, 1)) == 3
    deadline.refresh_from_db()
    assert deadline.next_action_at == DUE + 4 * H


def test_invitation_reminders_also_go_to_the_invitee_with_the_one_click_link(reg, monkeypatch):
    calls = []

    def invitation_recipient(*, invitation_id):
        calls.append(invitation_id)
        return "gunnel.extern@example.se", "http://localhost:8000/kallelse/kvittera/abc123/"

    # What the SIP app provides through the hook (``SipConfig.ready``), replaced here.
    monkeypatch.setitem(hooks._provided, hooks.INVITATION_RECIPIENT, invitation_recipient)
    deadline = _open(
        reg, kind="INVITATION_RESPONSE", subject_key="invitation:42", opened=DUE - 48 * H
    )
    _sweep_at(DUE - 24 * H)
    assert calls == [42]
    invitee = OutboundEmail.objects.get(deadline=deadline, to="gunnel.extern@example.se")
    assert invitee.context["ack_url"] == "http://localhost:8000/kallelse/kvittera/abc123/"
    with time_machine.travel(DUE - 24 * H, tick=False):
        outbox_deliver_pending()
    message = next(m for m in mail.outbox if m.to == ["gunnel.extern@example.se"])
    assert "http://localhost:8000/kallelse/kvittera/abc123/" in message.body
    assert "Bekräfta kallelsen med ett klick" in message.body


def test_every_kind_has_a_ladder_in_order():
    for kind in escalation.KINDS.values():
        offsets = [rung.offset for rung in kind.ladder]
        assert offsets == sorted(offsets), kind.code
        assert kind.ladder[-1].action == escalation.BREACH
