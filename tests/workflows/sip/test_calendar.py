"""The invitation email carries the meeting as a calendar file (kallelse.ics); the
withdrawal email withdraws it (same UID, METHOD:CANCEL)."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications.services import outbox_deliver_pending
from workflows.sip import services

from .factories import InvitationFactory, MeetingFactory, SipProcessFactory

pytestmark = pytest.mark.django_db


def _ics(message) -> str:
    found = [a for a in message.attachments if a[0] == "kallelse.ics"]
    assert len(found) == 1, message.attachments
    name, content, mimetype = found[0]
    assert mimetype.startswith("text/calendar")
    return content.decode() if isinstance(content, bytes) else content


def test_invitation_and_withdrawal_carry_the_meeting_for_the_calendar(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    sip.schedule_meeting()
    sip.save()
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=4)
    meeting = MeetingFactory(sip=sip, starts_at=starts, place="Götgatan 1, plan 3")
    invitation = InvitationFactory(meeting=meeting, organisation=world.vc)
    services.invitation_send(invitation=invitation, by=world.handlaggare)
    outbox_deliver_pending()
    (message,) = [m for m in mail.outbox if m.to == [invitation.email]]
    ics = _ics(message)
    assert "METHOD:PUBLISH" in ics
    assert f"UID:sip-meeting-{meeting.pk}@" in ics
    assert "DTSTART:" + starts.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in ics
    assert "LOCATION:Götgatan 1\\, plan 3" in ics
    assert "/kallelse/" in ics  # the one-click answer link
    assert world.individual.family_name not in ics
    assert world.individual.personal_identity_number not in ics

    services.sip_withdraw(sip=sip, reason="Fel person registrerad", by=world.handlaggare)
    outbox_deliver_pending()
    withdrawn = [m for m in mail.outbox if m.to == [invitation.email]][-1]
    cancel = _ics(withdrawn)
    assert "METHOD:CANCEL" in cancel and "STATUS:CANCELLED" in cancel
    assert f"UID:sip-meeting-{meeting.pk}@" in cancel
    assert "SEQUENCE:1" in cancel
