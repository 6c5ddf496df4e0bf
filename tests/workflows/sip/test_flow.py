"""A SIP run from initiation to follow-up through the pages."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from notifications.services import outbox_deliver_pending
from workflows.models import Deadline
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, SipProcess

from .helpers import do_task, local_input, open_task, start_sip, take_task

pytestmark = pytest.mark.django_db


def _interventions(rows, initial=0):
    data = {
        "interventions-TOTAL_FORMS": str(len(rows)),
        "interventions-INITIAL_FORMS": str(initial),
        "interventions-MIN_NUM_FORMS": "1",
        "interventions-MAX_NUM_FORMS": "30",
    }
    for index, (description, organisation, start) in enumerate(rows):
        data[f"interventions-{index}-description"] = description
        data[f"interventions-{index}-organisation"] = organisation.pk
        data[f"interventions-{index}-start_date"] = start.isoformat()
    return data


def test_sip_from_initiation_to_follow_up(client, world):
    sip = start_sip(
        client,
        world.handlaggare,
        individual=world.individual,
        organisation=world.bistand,
        participants=[world.vc],
    )
    assert sip.stage == SipProcess.Stage.CONSENT
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "Registrera samtycke" in page  # the next step, linked for the initiator

    # The consent task sits in the initiating organisation's queue, not the vårdcentral's.
    client.force_login(world.colleague)
    assert f"/{sip.pk}/consent/" in client.get("/workflow/queue/").content.decode()
    client.force_login(world.vardkontakt)
    assert f"/{sip.pk}/consent/" not in client.get("/workflow/queue/").content.decode()

    response = do_task(
        client,
        world.colleague,
        sip,
        SipFlow.consent,
        {
            "decision": "GIVEN",
            "given_by_individual": "on",
            "method": "ORAL",
            "scope_note": "Ej journaluppgifter",
        },
    )
    assert response.status_code == 302
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.INVITATION and sip.consent_in_force
    client.force_login(world.handlaggare)
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "Kalla till SIP-möte" in page and "i kön" in page
    assert (
        "<h1>Kalla till SIP-möte</h1>"
        in client.get(take_task(client, world.handlaggare, sip, SipFlow.invite)).content.decode()
    )

    meeting_at = timezone.now() + dt.timedelta(days=5)
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.invite,
        {
            "starts_at": local_input(meeting_at),
            "place": "Biståndsenheten, Götgatan 1",
            "organisations": [world.vc.pk, world.hemtjanst.pk],
            "staff_users": [world.colleague.pk],
            "include_individual": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    invitations = {
        i.kind + (i.organisation.name if i.organisation else ""): i
        for i in Invitation.objects.all()
    }
    vc_invitation = invitations["ORGANISATIONRosenlunds vårdcentral"]
    hemtjanst_invitation = invitations["ORGANISATIONAttendo hemtjänst Södermalm"]
    assert vc_invitation.state == "SENT"
    # Unknown reachability: held back until a second channel is logged.
    assert hemtjanst_invitation.state == "DRAFT" and hemtjanst_invitation.needs_second_channel
    deadline = Deadline.objects.get(subject_key=f"invitation:{vc_invitation.pk}")
    assert deadline.kind == "INVITATION_RESPONSE" and deadline.responsible_organisation == world.vc
    assert deadline.due_at == vc_invitation.sent_at + dt.timedelta(hours=48)

    outbox_deliver_pending()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert world.vc.functional_mailbox in recipients
    assert "astrid@example.se" in recipients
    assert "attendo@example.se" not in recipients
    for message in mail.outbox:
        assert "Astrid" not in message.body and "Johansson" not in message.body
        assert world.individual.personal_identity_number not in message.body
        assert "/kallelse/" in message.body

    client.force_login(world.handlaggare)
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "4 deltagare har inte svarat" in page
    assert "Andra kanal krävs" in page

    # The second channel: a logged phone call, then the invitation counts as sent.
    response = client.post(
        f"/sips/{sip.pk}/kallelser/{hemtjanst_invitation.pk}/andra-kanal/",
        {"channel": "PHONE", "note": "Talat med samordnare Lisa"},
    )
    assert response.status_code == 302
    hemtjanst_invitation.refresh_from_db()
    assert hemtjanst_invitation.state == "SENT"
    assert hemtjanst_invitation.second_channel_by == world.handlaggare

    # The vårdcentral answers by phone; staff record it with a reason.
    client.post(
        f"/sips/{sip.pk}/kallelser/{vc_invitation.pk}/status/",
        {"action": "acknowledge", "reason": "Ringde och bekräftade"},
    )
    client.post(
        f"/sips/{sip.pk}/kallelser/{vc_invitation.pk}/status/",
        {"action": "accept", "reason": "Kommer"},
    )
    vc_invitation.refresh_from_db()
    assert vc_invitation.state == "ACCEPTED"
    deadline.refresh_from_db()
    assert deadline.status == "MET"

    # The meeting: the hemtjänst never answered and did not come.
    meeting_task_data = {"notes": "Bra möte"}
    for invitation in Invitation.objects.all():
        value = "ABSENT" if invitation == hemtjanst_invitation else "ATTENDED"
        meeting_task_data[f"attendance_{invitation.pk}"] = value
    response = do_task(client, world.handlaggare, sip, SipFlow.meeting, meeting_task_data)
    assert response.status_code == 302
    hemtjanst_invitation.refresh_from_db()
    assert hemtjanst_invitation.attendance == "ABSENT"
    assert hemtjanst_invitation.unanswered_at_meeting is True

    follow_up = timezone.localdate() + dt.timedelta(days=30)
    plan_data = {
        "overall_responsibility": "KOMMUN",
        "lead_person": world.handlaggare.pk,
        "own_goals": "Jag vill kunna gå till affären själv.",
        "others_actions": "Dottern handlar på fredagar.",
        "follow_up_date": follow_up.isoformat(),
        **_interventions(
            [
                ("Hemtjänst morgon och kväll", world.hemtjanst, timezone.localdate()),
                ("Läkemedelsgenomgång", world.vc, timezone.localdate()),
            ]
        ),
    }
    response = do_task(client, world.handlaggare, sip, SipFlow.plan, plan_data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.FOLLOW_UP and sip.lead_huvudman == "KOMMUN"
    follow_up_deadline = Deadline.objects.get(process=sip, kind="SIP_FOLLOW_UP")
    assert timezone.localtime(follow_up_deadline.due_at).date() == follow_up

    # Follow-up: revise → a new plan version, the first one is kept.
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.follow_up,
        {"decision": "REVISE", "note": "Mer stöd"},
    )
    assert response.status_code == 302
    # The revision form starts from the current version (two initial rows); one is removed.
    page = client.get(take_task(client, world.handlaggare, sip, SipFlow.plan)).content.decode()
    assert "Hemtjänst morgon och kväll" in page
    plan_data["own_goals"] = "Jag vill gå till affären och till biblioteket."
    plan_data.update(
        _interventions(
            [
                ("Hemtjänst morgon och kväll", world.hemtjanst, timezone.localdate()),
                ("Läkemedelsgenomgång", world.vc, timezone.localdate()),
            ],
            initial=2,
        )
    )
    plan_data["interventions-1-DELETE"] = "on"
    # Only the kommun's hemtjänst is left: refused until the reason is written.
    response = do_task(client, world.handlaggare, sip, SipFlow.plan, plan_data)
    assert response.status_code == 200
    assert "skriv varför bara en huvudman deltar" in response.content.decode()
    assert sip.plan_versions.count() == 1
    plan_data["one_huvudman_reason"] = "Vårdcentralens genomgång är klar."
    response = do_task(client, world.handlaggare, sip, SipFlow.plan, plan_data)
    assert response.status_code == 302, response.content.decode()
    assert list(sip.plan_versions.values_list("number", flat=True)) == [2, 1]
    assert [i.description for i in sip.plan_versions.get(number=2).interventions.all()] == [
        "Hemtjänst morgon och kväll"
    ]
    assert sip.plan_versions.get(number=1).interventions.count() == 2
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "biblioteket" in page and "Version 1" in page

    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.follow_up,
        {"decision": "CLOSE", "note": "Målen nådda"},
    )
    assert response.status_code == 302
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CLOSED
    assert sip.status == PROCESS.DONE
    assert not sip.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()


def test_invalid_plan_shows_errors_and_writes_nothing(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "given_by_individual": "on", "method": "ORAL"},
    )
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.invite,
        {"starts_at": local_input(timezone.now() - dt.timedelta(hours=1)), "place": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mötet måste ligga i framtiden" in page
    assert "Ange en plats, en säker möteslänk eller ett telefonnummer" in page
    assert not sip.meetings.exists()
    assert open_task(sip, SipFlow.invite)
