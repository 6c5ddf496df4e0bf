"""The follow-up meeting of a SIP plan: called from the SIP page by the initiating
organisation, with its own invitations to the plan's organisations (and the
individual), each with its own answer deadline; bad input writes nothing."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications.services import outbox_deliver_pending
from workflows.models import Deadline
from workflows.sip import services
from workflows.sip.models import Invitation, Meeting

from .factories import SipProcessFactory
from .helpers import _urls_loaded, local_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed_up(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    sip.participants.add(world.vc)
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    sip.schedule_meeting()
    sip.hold_meeting()
    sip.save()
    today = timezone.localdate()
    services.sip_plan_save(
        sip=sip,
        overall_responsibility="KOMMUN",
        own_goals="Bo kvar hemma",
        follow_up_date=today + dt.timedelta(days=30),
        interventions=[
            {"description": "Hemtjänst", "organisation": world.bistand, "start_date": today},
            {"description": "Läkemedel", "organisation": world.vc, "start_date": today},
        ],
        by=world.handlaggare,
    )
    return sip


def _post(client, user, sip, **data):
    _urls_loaded()
    client.force_login(user)
    return client.post(f"/sips/{sip.pk}/uppfoljningsmote/", data, follow=True)


def test_the_follow_up_meeting_invites_the_plans_organisations(client, world, followed_up):
    sip = followed_up
    starts = timezone.now() + dt.timedelta(days=20)
    page = _post(
        client,
        world.handlaggare,
        sip,
        starts_at=local_input(starts),
        place="Götgatan 1",
        include_individual="on",
    ).content.decode()
    assert "Uppföljningsmötet är kallat" in page
    meeting = Meeting.objects.get(sip=sip, place="Götgatan 1")
    invitations = {
        i.kind + (i.organisation.name if i.organisation else ""): i
        for i in Invitation.objects.filter(meeting=meeting)
    }
    vc = invitations[f"ORGANISATION{world.vc.name}"]
    assert vc.state == "SENT"
    # The initiator's own place is taken; the individual is invited too.
    assert invitations[f"ORGANISATION{world.bistand.name}"].state == "ACCEPTED"
    assert "INDIVIDUAL" in invitations
    deadline = Deadline.objects.get(subject_key=f"invitation:{vc.pk}")
    assert deadline.responsible_organisation == world.vc
    outbox_deliver_pending()
    assert any(m.to == [world.vc.functional_mailbox] for m in mail.outbox)


def test_bad_follow_up_meetings_are_refused_and_write_nothing(client, world, followed_up):
    sip = followed_up
    before = Meeting.objects.count()
    late = timezone.now() + dt.timedelta(days=40)  # after the follow-up date
    page = _post(client, world.handlaggare, sip, starts_at=local_input(late), place="X").content
    assert "Planen följs upp senast" in page.decode()
    past = timezone.now() - dt.timedelta(days=1)
    page = _post(client, world.handlaggare, sip, starts_at=local_input(past), place="X").content
    assert "Mötet måste ligga i framtiden" in page.decode()
    soon = timezone.now() + dt.timedelta(days=5)
    page = _post(client, world.handlaggare, sip, starts_at=local_input(soon)).content
    assert "Ange en plats, en säker möteslänk eller ett telefonnummer" in page.decode()
    # Only the initiating organisation calls it.
    assert (
        _post(client, world.vardkontakt, sip, starts_at=local_input(soon), place="X").status_code
        == 403
    )
    assert Meeting.objects.count() == before
