"""The invitation state machine, its events, deadlines and the second channel."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from workflows.models import Deadline
from workflows.sip import services
from workflows.sip.models import Invitation

from .factories import InvitationFactory, MeetingFactory, SipProcessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sip(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    # The tests add their meetings with factories: the SIP is where a meeting is planned.
    sip.schedule_meeting()
    sip.save()
    return sip


def _invitation(world, sip, organisation=None, **kwargs):
    meeting = MeetingFactory(sip=sip, **kwargs)
    return InvitationFactory(meeting=meeting, organisation=organisation or world.vc)


def _events(invitation):
    return [(e.from_state, e.to_state) for e in invitation.events.all()]


def test_every_allowed_transition_writes_an_event(world, sip):
    accepted = _invitation(world, sip)
    services.invitation_send(invitation=accepted, by=world.handlaggare)
    services.invitation_set_state(
        invitation=accepted, action="acknowledge", reason="Telefon", by=world.handlaggare
    )
    services.invitation_set_state(
        invitation=accepted, action="accept", reason="Kommer", by=world.handlaggare
    )
    accepted.refresh_from_db()
    assert accepted.state == "ACCEPTED"
    assert _events(accepted) == [
        ("DRAFT", "SENT"),
        ("SENT", "ACKNOWLEDGED"),
        ("ACKNOWLEDGED", "ACCEPTED"),
    ]
    event = accepted.events.last()
    assert event.by == world.handlaggare and event.reason == "Kommer" and not event.via_link

    declined = _invitation(world, sip, organisation=world.psyk)
    services.invitation_send(invitation=declined, by=world.handlaggare)
    services.invitation_set_state(
        invitation=declined, action="acknowledge", reason="Mejl", by=world.handlaggare
    )
    services.invitation_set_state(
        invitation=declined, action="decline", reason="Ingen pågående kontakt", by=world.handlaggare
    )
    declined.refresh_from_db()
    assert declined.state == "DECLINED" and declined.decline_reason == "Ingen pågående kontakt"

    undeliverable = _invitation(world, sip, organisation=world.sdf)
    services.invitation_send(invitation=undeliverable, by=world.handlaggare)
    services.invitation_set_state(
        invitation=undeliverable,
        action="mark_undeliverable",
        reason="Studsade",
        by=world.handlaggare,
    )
    undeliverable.refresh_from_db()
    assert undeliverable.state == "UNDELIVERABLE"
    assert _events(undeliverable) == [("DRAFT", "SENT"), ("SENT", "UNDELIVERABLE")]
    deadline = Deadline.objects.get(subject_key=f"invitation:{undeliverable.pk}")
    assert deadline.status == "CANCELLED"


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "acknowledge"),  # a draft was never sent
        ([], "accept"),
        (["send"], "accept"),  # must be acknowledged first
        (["send"], "decline"),
        (["send", "acknowledge"], "mark_undeliverable"),
        (["send", "acknowledge"], "acknowledge"),
        (["send", "acknowledge", "accept"], "decline"),
        (["send", "mark_undeliverable"], "acknowledge"),
    ],
)
def test_forbidden_transitions_raise_and_write_nothing(world, sip, setup, action):
    invitation = _invitation(world, sip)
    for step in setup:
        if step == "send":
            services.invitation_send(invitation=invitation, by=world.handlaggare)
        else:
            services.invitation_set_state(
                invitation=invitation, action=step, reason="x", by=world.handlaggare
            )
    count = invitation.events.count()
    invitation.refresh_from_db()
    state = invitation.state
    with pytest.raises(TransitionNotAllowed):
        services.invitation_set_state(
            invitation=invitation, action=action, reason="försök", by=world.handlaggare
        )
    invitation.refresh_from_db()
    assert invitation.state == state
    assert invitation.events.count() == count


def test_send_twice_is_forbidden(world, sip):
    invitation = _invitation(world, sip)
    services.invitation_send(invitation=invitation, by=world.handlaggare)
    with pytest.raises(TransitionNotAllowed):
        services.invitation_send(invitation=invitation, by=world.handlaggare)


def test_state_cannot_be_assigned_directly(world, sip):
    invitation = _invitation(world, sip)
    with pytest.raises(AttributeError):
        invitation.state = "ACCEPTED"


def test_forbidden_transition_in_the_view_gives_a_clear_message(client, world, sip):
    invitation = _invitation(world, sip)
    services.invitation_send(invitation=invitation, by=world.handlaggare)
    client.force_login(world.handlaggare)
    response = client.post(
        f"/sips/{sip.pk}/kallelser/{invitation.pk}/status/",
        {"action": "accept", "reason": "Kommer"},
        follow=True,
    )
    assert response.status_code == 200
    assert (
        "Rosenlunds vårdcentral: den ändringen är inte möjlig från läget ”Skickad, ej besvarad”."
        in response.content.decode()
    )
    invitation.refresh_from_db()
    assert invitation.state == "SENT"


def test_staff_change_needs_a_reason(client, world, sip):
    invitation = _invitation(world, sip)
    services.invitation_send(invitation=invitation, by=world.handlaggare)
    client.force_login(world.handlaggare)
    response = client.post(
        f"/sips/{sip.pk}/kallelser/{invitation.pk}/status/",
        {"action": "acknowledge", "reason": ""},
        follow=True,
    )
    assert "Detta fält måste fyllas i." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "SENT"


def test_invited_organisation_may_answer_its_own_invitation_only(client, world, sip):
    own = _invitation(world, sip)
    other = InvitationFactory(meeting=own.meeting, organisation=world.psyk)
    services.invitation_send(invitation=own, by=world.handlaggare)
    services.invitation_send(invitation=other, by=world.handlaggare)
    client.force_login(world.vardkontakt)
    client.post(
        f"/sips/{sip.pk}/kallelser/{own.pk}/status/", {"action": "acknowledge", "reason": "Sett"}
    )
    own.refresh_from_db()
    assert own.state == "ACKNOWLEDGED"
    response = client.post(
        f"/sips/{sip.pk}/kallelser/{other.pk}/status/", {"action": "acknowledge", "reason": "x"}
    )
    assert response.status_code == 403


def test_response_deadline_is_never_after_the_meeting(world, sip):
    soon = _invitation(world, sip, starts_at=timezone.now() + dt.timedelta(hours=20))
    services.invitation_send(invitation=soon, by=world.handlaggare)
    deadline = Deadline.objects.get(subject_key=f"invitation:{soon.pk}")
    assert deadline.due_at == soon.meeting.starts_at
    assert deadline.responsible_organisation == world.vc

    person = InvitationFactory(
        meeting=soon.meeting, kind="INDIVIDUAL", organisation=None, email="astrid@example.se"
    )
    services.invitation_send(invitation=person, by=world.handlaggare)
    # For a person the initiating organisation answers for the follow-up.
    assert (
        Deadline.objects.get(subject_key=f"invitation:{person.pk}").responsible_organisation
        == world.bistand
    )


def test_unreachable_organisation_needs_a_second_channel(client, world, sip):
    invitation = _invitation(world, sip, organisation=world.hemtjanst)
    assert invitation.needs_second_channel
    with pytest.raises(TransitionNotAllowed):
        services.invitation_send(invitation=invitation, by=world.handlaggare)
    invitation.refresh_from_db()
    assert invitation.state == "DRAFT" and not Deadline.objects.exists()

    client.force_login(world.handlaggare)
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "1 verksamhet kan inte nås i planeringsstödet" in page
    assert "Nåbar i IT-stödet för samordnad planering: Okänt" in page

    # A phone call without saying whom you spoke to is refused.
    with pytest.raises(ValidationError):
        services.invitation_record_second_channel(
            invitation=invitation, channel="PHONE", note="  ", by=world.handlaggare
        )
    response = client.post(
        f"/sips/{sip.pk}/kallelser/{invitation.pk}/andra-kanal/",
        {"channel": "FUNCTIONAL_MAILBOX", "note": ""},
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "SENT"
    assert invitation.second_channel == "FUNCTIONAL_MAILBOX"
    assert invitation.second_channel_by == world.handlaggare
    assert invitation.second_channel_at is not None
    assert invitation.email == "attendo@example.se"
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "kan inte nås i planeringsstödet: en andra kanal krävs" not in page
    assert "Andra kanal använd" in page  # in the history


def test_functional_mailbox_channel_needs_a_mailbox(world, sip):
    world.hemtjanst.functional_mailbox = ""
    world.hemtjanst.save()
    invitation = _invitation(world, sip, organisation=world.hemtjanst)
    with pytest.raises(ValidationError):
        services.invitation_record_second_channel(
            invitation=invitation, channel="FUNCTIONAL_MAILBOX", by=world.handlaggare
        )
    invitation.refresh_from_db()
    assert invitation.state == "DRAFT" and invitation.second_channel == ""


def test_attendance_and_unanswered_are_recorded_for_the_deviation_register(world, sip):
    from workflows.sip.selectors import participation_failures

    came = _invitation(world, sip)
    meeting = came.meeting
    silent = InvitationFactory(meeting=meeting, organisation=world.psyk)
    absent = InvitationFactory(meeting=meeting, organisation=world.sdf)
    late = InvitationFactory(
        meeting=meeting, organisation=world.hemtjanst, needs_second_channel=False
    )
    for invitation in (came, silent, absent, late):
        services.invitation_send(invitation=invitation, by=world.handlaggare)
    for invitation in (came, absent, late):
        services.invitation_set_state(
            invitation=invitation, action="acknowledge", reason="ok", by=world.handlaggare
        )
    services.sip_meeting_record(
        sip=sip,
        meeting=meeting,
        attendance={
            came.pk: ("ATTENDED", ""),
            silent.pk: ("ABSENT", ""),
            absent.pk: ("ABSENT", "Glömde"),
            late.pk: ("REPLACED", "Kollega kom"),
        },
        by=world.handlaggare,
    )
    failures = {
        (i.organisation, i.attendance, i.unanswered_at_meeting) for i in participation_failures()
    }
    assert failures == {(world.psyk, "ABSENT", True), (world.sdf, "ABSENT", False)}
    assert Invitation.objects.get(pk=late.pk).attendance == "REPLACED"

    # Each absent organisation gets one deviation drafted for the MAS, reported by the
    # organisation that called the SIP; recording again drafts nothing new.
    from workflows.deviations.models import Deviation

    drafts = Deviation.objects.filter(process_id=sip.pk)
    assert {(d.receiving_organisation, d.category, d.status) for d in drafts} == {
        (world.psyk, "SIP_PARTICIPANT_ABSENT", "DRAFT"),
        (world.sdf, "SIP_PARTICIPANT_ABSENT", "DRAFT"),
    }
    assert {d.reporting_organisation for d in drafts} == {sip.initiating_organisation}
    services.sip_meeting_record(
        sip=sip, meeting=meeting, attendance={silent.pk: ("ABSENT", "")}, by=world.handlaggare
    )
    assert drafts.count() == 2


def test_unanswered_invitations_are_recorded_at_meeting_time(world, sip):
    import time_machine

    answered = _invitation(world, sip, starts_at=timezone.now() + dt.timedelta(days=1))
    silent = InvitationFactory(meeting=answered.meeting, organisation=world.psyk)
    for invitation in (answered, silent):
        services.invitation_send(invitation=invitation, by=world.handlaggare)
    services.invitation_set_state(
        invitation=answered, action="acknowledge", reason="ok", by=world.handlaggare
    )
    assert services.invitations_record_unanswered_at_meeting() == 0  # not yet
    with time_machine.travel(answered.meeting.starts_at + dt.timedelta(minutes=1)):
        assert services.invitations_record_unanswered_at_meeting() == 1
        assert services.invitations_record_unanswered_at_meeting() == 0  # once
    silent.refresh_from_db()
    answered.refresh_from_db()
    assert silent.unanswered_at_meeting and not answered.unanswered_at_meeting
    from workflows.deviations.models import Deviation

    draft = Deviation.objects.get(process_id=sip.pk)
    assert (draft.receiving_organisation, draft.category) == (
        world.psyk,
        "INVITATION_NOT_ANSWERED",
    )
