"""The deadline sweep: the ladder per kind, who gets each rung, and idempotency."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from coordination.models import EscalationChain
from notifications.models import OutboundEmail
from notifications.services import outbox_deliver_pending
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
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
    # The unit's staff and mailbox; its KSA comes at the escalation, not now.
    assert _recipients(deadline, 0) == [
        "bistand.soder@example.se",
        "handlaggare.sodermalm@example.se",
    ]
    deadline.refresh_from_db()
    assert deadline.escalation_level == 1
    assert deadline.next_action_at == DUE
    event = deadline.events.get(kind=DeadlineEvent.Kind.REMINDED)
    assert event.level == 0

    with time_machine.travel(DUE - 4 * H, tick=False):
        assert outbox_deliver_pending() == 2
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
    assert OutboundEmail.objects.filter(deadline=deadline).count() == 2
    assert deadline.events.filter(kind=DeadlineEvent.Kind.REMINDED).count() == 1
    with time_machine.travel(DUE - 3 * H, tick=False):
        outbox_deliver_pending()
        outbox_deliver_pending()
    assert len(mail.outbox) == 2


def test_the_whole_ladder_kommun_side(reg):
    deadline = _open(reg)
    _sweep_at(DUE - 4 * H)
    _sweep_at(DUE)
    assert len(_recipients(deadline, 1)) == 2  # reminder at the due time, overdue wording

    _sweep_at(DUE + 4 * H)
    # Escalation: the district's KSA. The KSA organisation is the unit itself, so only
    # its KSA-role person, who was not reminded; its mailbox was told already.
    assert _recipients(deadline, 2) == ["ksa.sodermalm@example.se"]

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
    assert OutboundEmail.objects.filter(deadline=deadline).count() == 2
    assert not deadline.events.filter(kind__in=["ESCALATED", "BREACHED"]).exists()


def test_kommun_side_without_district_ksa_escalates_to_the_kommun_ksa(reg):
    reg.soder.ksa = None
    reg.soder.save()
    reg.stockholm.ksa = reg.sdf  # the kommun's own coordinating unit, no KSA role there
    reg.stockholm.save()
    MembershipFactory(user=UserFactory(username="ksa.stockholm"), organisation=reg.sdf, role="KSA")
    deadline = _open(reg, organisation=reg.hsv)
    _sweep_at(DUE + 4 * H)
    # The kommun's coordinating unit: its KSA, never its MAS (who comes at the breach).
    assert _recipients(deadline, 2) == ["ksa.stockholm@example.se"]
    assert Deadline.objects.get(pk=deadline.pk).escalation_level == 3


def test_an_escalation_that_reaches_nobody_new_is_recorded_as_such(reg):
    reg.soder.ksa = None
    reg.soder.save()
    reg.stockholm.ksa = reg.sdf  # only the MAS works there: not a rung-2 recipient
    reg.stockholm.save()
    deadline = _open(reg, organisation=reg.hsv)
    _sweep_at(DUE + 4 * H)
    assert _recipients(deadline, 2) == []
    assert deadline.events.get(kind="ESCALATED").note == "no recipient found"
    _sweep_at(DUE + 24 * H)
    assert _recipients(deadline, 3) == ["mas.sodermalm@example.se"]


def _region_overseer(reg, role="CHEFLAKARE"):
    hsf = OrganisationFactory(
        name="Hälso- och sjukvårdsförvaltningen", area=reg.region, huvudman="REGION"
    )
    MembershipFactory(user=UserFactory(username="cheflakare.region"), organisation=hsf, role=role)
    return hsf


def test_a_vardcentral_that_is_its_areas_gsa_escalates_to_its_own_manager(reg):
    MembershipFactory(
        user=UserFactory(username="chef.rosenlund"), organisation=reg.vardcentral, role="CHEF"
    )
    _region_overseer(reg)
    deadline = _open(reg, organisation=reg.vardcentral, kind="FAST_VARDKONTAKT")
    _sweep_at(DUE)
    # The manager is not reminded with the staff...
    assert _recipients(deadline, 1) == ["rosenlund@example.se", "vardkontakt.rosenlund@example.se"]
    _sweep_at(DUE + 2 * H)
    # ...but is the escalation, which repeats nobody already reminded.
    assert _recipients(deadline, 2) == ["chef.rosenlund@example.se"]
    _sweep_at(DUE + 24 * H)
    # A region unit's breach: the region's chefläkare, not the kommun's MAS.
    assert _recipients(deadline, 3) == ["cheflakare.region@example.se"]


def test_a_vardcentral_escalates_to_the_gsa_when_that_is_another_vardcentral(reg):
    gsa = OrganisationFactory(
        name="Ringens vårdcentral",
        area=reg.soder,
        huvudman="REGION",
        kind="VARDCENTRAL",
        functional_mailbox="ringen@example.se",
    )
    reg.soder.gsa = gsa
    reg.soder.save()
    deadline = _open(reg, organisation=reg.vardcentral, kind="FAST_VARDKONTAKT")
    _sweep_at(DUE + 2 * H)
    assert _recipients(deadline, 2) == ["ringen@example.se"]


def test_a_wards_duty_escalates_within_its_hospital_never_to_the_vardcentral(reg):
    hospital = OrganisationFactory(
        name="Södersjukhuset",
        area=reg.region,
        huvudman="REGION",
        kind="SJUKHUS",
        functional_mailbox="sos@example.se",
    )
    reg.ward.parent = hospital
    reg.ward.save()
    MembershipFactory(user=UserFactory(username="chef.sos"), organisation=hospital, role="CHEF")
    _region_overseer(reg, role="MAS")
    process = ProcessFactory()
    # The case involves the kommun's biståndsenhet and the vårdcentral (the area's GSA).
    _open(reg, process=process, organisation=reg.bistand, kind="UTSKRIVNINGSKLAR_ACK")
    _open(reg, process=process, organisation=reg.vardcentral, kind="FAST_VARDKONTAKT")
    ward_deadline = _open(reg, process=process, organisation=reg.ward)
    _sweep_at(DUE + 4 * H)
    assert _recipients(ward_deadline, 2) == ["chef.sos@example.se", "sos@example.se"]
    event = ward_deadline.events.get(kind="ESCALATED")
    assert event.note == "Södersjukhuset: chef.sos@example.se, sos@example.se"
    _sweep_at(DUE + 24 * H)
    assert _recipients(ward_deadline, 3) == ["cheflakare.region@example.se"]
    every = set(OutboundEmail.objects.filter(deadline=ward_deadline).values_list("to", flat=True))
    assert not every & {"rosenlund@example.se", "mas.sodermalm@example.se"}


def test_an_administrators_chain_replaces_the_default(reg):
    other = OrganisationFactory(
        name="Södermalm äldreomsorg ledning", area=reg.soder, functional_mailbox="ao@example.se"
    )
    EscalationChain.objects.create(organisation=reg.bistand, coordinator=other)
    deadline = _open(reg)
    _sweep_at(DUE + 4 * H)
    assert _recipients(deadline, 2) == ["ao@example.se"]


def test_rungs_taken_together_after_downtime_repeat_nobody(reg):
    # The MAS also works as a handläggare in the unit: reminded there with the staff,
    # so the breach (taken in the same sweep) does not tell them a second time.
    MembershipFactory(user=reg.mas, organisation=reg.bistand, role="HANDLAGGARE")
    deadline = _open(reg)
    _sweep_at(DUE)
    assert "mas.sodermalm@example.se" in _recipients(deadline, 1)
    _sweep_at(DUE + 30 * H)  # escalation and breach in one sweep
    assert _recipients(deadline, 2) == ["ksa.sodermalm@example.se"]
    assert _recipients(deadline, 3) == []
    assert OutboundEmail.objects.filter(to="mas.sodermalm@example.se").count() == 1


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
    assert len(_recipients(deadline, 1)) == 2
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

    # The escalation names the staff told before, never the invited person's address.
    _sweep_at(DUE + 4 * H)
    escalation_row = OutboundEmail.objects.get(deadline=deadline, to="ksa.sodermalm@example.se")
    told = escalation_row.context["told_before"]
    assert told == "bistand.soder@example.se, handlaggare.sodermalm@example.se"
    with time_machine.travel(DUE + 4 * H, tick=False):
        outbox_deliver_pending()
    body = next(m for m in mail.outbox if m.to == ["ksa.sodermalm@example.se"]).body
    assert "Tidigare underrättade: bistand.soder@example.se" in body
    assert "gunnel.extern" not in body


def test_every_kind_has_a_ladder_in_order():
    for kind in escalation.KINDS.values():
        offsets = [rung.offset for rung in kind.ladder]
        assert offsets == sorted(offsets), kind.code
        assert kind.ladder[-1].action == escalation.BREACH
