"""The SIP page names who was reminded and escalated to for each invitation's answer
deadline, by which rule, and the rung still to come (held when office hours put it
later)."""

import datetime as dt

import pytest
import time_machine

from tests.factories import MembershipFactory, UserFactory
from workflows.models import Deadline
from workflows.sip import services
from workflows.tasks import deadlines_sweep

from .factories import InvitationFactory, MeetingFactory, SipProcessFactory
from .helpers import _urls_loaded

pytestmark = pytest.mark.django_db

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))
# Invitation sent Wednesday 2 December 2026 14:00 (answer due two days later, Friday
# 14:00); meeting Wednesday 9 December 13:00.
SENT = dt.datetime(2026, 12, 2, 14, 0, tzinfo=STOCKHOLM)
MEETING = dt.datetime(2026, 12, 9, 13, 0, tzinfo=STOCKHOLM)


def test_sip_page_shows_each_rung_of_an_invitation_deadline(client, world):
    MembershipFactory(user=UserFactory(username="chef.vc"), organisation=world.vc, role="CHEF")
    with time_machine.travel(SENT, tick=False):
        sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
        services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
        sip.schedule_meeting()
        sip.save()
        meeting = MeetingFactory(sip=sip, starts_at=MEETING)
        invitation = InvitationFactory(meeting=meeting, organisation=world.vc)
        services.invitation_send(invitation=invitation, by=world.handlaggare)
    deadline = Deadline.objects.get(subject_key=f"invitation:{invitation.pk}")
    assert deadline.responsible_organisation == world.vc
    assert deadline.due_at == dt.datetime(2026, 12, 4, 14, 0, tzinfo=STOCKHOLM)

    # The reminder a day before, at the due time, and the escalation four hours later.
    for at in (deadline.due_at - dt.timedelta(days=1), deadline.due_at):
        with time_machine.travel(at, tick=False):
            deadlines_sweep()
    _urls_loaded()
    with time_machine.travel(deadline.due_at + dt.timedelta(hours=1), tick=False):
        client.force_login(world.handlaggare)
        response = client.get(sip.get_absolute_url())
        page = response.content.decode()
    assert response.status_code == 200, (response.status_code, list(deadline.events.all()))
    assert "deadline-timeline" in page, list(deadline.events.values_list("kind", "note"))
    block = page.split(f'data-testid="deadline-timeline-{deadline.pk}"')[1].split("</div>")[0]
    assert "Påminnelse till" in block
    assert "vardkontakt@example.se" in block
    assert "Regel:" in block
    # The escalation falls at 18:00 Friday, after closing, and is held to Monday
    # 08:00; the breach (never held) comes first, Saturday 14:00.
    line = block.split(f'data-testid="next-rung-{deadline.pk}"')[1].split("</li>")[0]
    assert "Nästa: Överskriden tidsfrist 5 dec 2026 14:00" in line


def test_a_held_escalation_is_shown_as_held(client, world):
    MembershipFactory(user=UserFactory(username="chef.vc"), organisation=world.vc, role="CHEF")
    sent = dt.datetime(2026, 11, 30, 14, 0, tzinfo=STOCKHOLM)  # Monday: due Wednesday 14:00
    with time_machine.travel(sent, tick=False):
        sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
        services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
        sip.schedule_meeting()
        sip.save()
        meeting = MeetingFactory(sip=sip, starts_at=MEETING)
        invitation = InvitationFactory(meeting=meeting, organisation=world.vc)
        services.invitation_send(invitation=invitation, by=world.handlaggare)
    deadline = Deadline.objects.get(subject_key=f"invitation:{invitation.pk}")
    assert deadline.due_at == dt.datetime(2026, 12, 2, 14, 0, tzinfo=STOCKHOLM)
    _urls_loaded()
    with time_machine.travel(deadline.due_at, tick=False):
        deadlines_sweep()  # the reminder at the due time
    with time_machine.travel(deadline.due_at + dt.timedelta(hours=3), tick=False):
        client.force_login(world.handlaggare)
        page = client.get(sip.get_absolute_url()).content.decode()
    # The escalation at 18:00 Wednesday is held to Thursday 08:00, before the breach.
    line = page.split(f'data-testid="next-rung-{deadline.pk}"')[1].split("</li>")[0]
    assert "Nästa: Eskalering, hålls till 3 dec 2026 08:00" in line
    assert "enligt regeln 2 dec 2026 18:00" in line

    with time_machine.travel(dt.datetime(2026, 12, 3, 8, 0, tzinfo=STOCKHOLM), tick=False):
        deadlines_sweep()
        client.force_login(world.handlaggare)
        page = client.get(sip.get_absolute_url()).content.decode()
    block = page.split(f'data-testid="deadline-timeline-{deadline.pk}"')[1].split("</div>")[0]
    assert "Eskalerad till Rosenlunds vårdcentral: chef.vc@example.se (chef eller GSA)" in block
