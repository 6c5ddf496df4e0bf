"""A whole SIP driven only through the API: the kommun's system starts it, records the
consent, calls the meeting (kallelse), the vårdcentral's system answers its own
invitation, the kommun's system records the meeting and approves the plan. The same
services as the pages; every step access-logged with the client; a step of another
organisation, a missing scope and bad input are refused with nothing written."""

import datetime as dt

import pytest
import time_machine

from coordination.models import AccessLog, Consent
from notifications.models import OutboundEmail
from tests.workflows.discharge.factories import member
from workflows.models import Deadline
from workflows.sip.models import Invitation, InvitationEvent, Meeting, PlanVersion, SipProcess

from .conftest import issue, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


def officer(w):
    """The kommun's case officer who initiates (HSA id as the user name)."""
    if not hasattr(w, "officer"):
        w.officer = member(w.social, "HANDLAGGARE", user__username="SE2120001234-H1")
    return w.officer


def _start(w):
    response = w.social_api.post(
        "/api/v1/sips",
        {
            "personal_identity_number": w.individual.personal_identity_number,
            "initiated_by": officer(w).username,
            "reason": "Samordning efter utskrivning",
            "participant_ids": [w.vc.pk],
        },
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _consented(w):
    sip = _start(w)
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/consent", {"decision": "GIVEN", "method": "WRITTEN"}
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _invited(w):
    sip = _consented(w)
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/invitations",
        {
            "starts_at": local(2022, 11, 18, 10, 0).isoformat(),
            "place": "Testdistrikt biståndsenhet, rum 2",
            "organisation_ids": [w.social.pk, w.vc.pk],
        },
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _vc_invitation(body, w):
    (invitation,) = [
        i
        for i in body["meetings"][0]["invitations"]
        if i["organisation"] and i["organisation"]["id"] == w.vc.pk
    ]
    return invitation


def test_whole_sip_through_the_api(world, clock):
    w = world
    sip = _start(w)
    assert sip["stage"] == SipProcess.Stage.CONSENT
    # Initiated in the case officer's name, as from the page.
    assert SipProcess.objects.get(pk=sip["id"]).created_by == w.officer
    assert sip["initiating_organisation"]["id"] == w.social.pk
    assert [p["id"] for p in sip["participants"]] == [w.vc.pk]
    assert sip["open_steps"] == [{"step": "consent", "organisation_id": w.social.pk}]
    # The participant's system sees the SIP at once; an unrelated one does not.
    assert w.vc_api.get(f"/api/v1/sips/{sip['id']}").status_code == 200
    assert w.other_api.get(f"/api/v1/sips/{sip['id']}").status_code == 404

    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/consent", {"decision": "GIVEN", "method": "ORAL"}
    )
    assert response.status_code == 200, response.json()
    consent = SipProcess.objects.get(pk=sip["id"]).consent
    assert consent.decision == Consent.Decision.GIVEN
    assert consent.recorded_by == w.social_client.user

    clock.move_to(local(2022, 11, 14, 10, 0))
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/invitations",
        {
            "starts_at": local(2022, 11, 18, 10, 0).isoformat(),
            "place": "Rum 2",
            "organisation_ids": [w.social.pk, w.vc.pk],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["meetings"][0]["place"] == "Rum 2"
    invitation = _vc_invitation(body, w)
    assert invitation["state"] == "SENT"
    # The kallelse went out as from the page: an email to the unit's mailbox and an
    # answer deadline for the vårdcentral.
    assert OutboundEmail.objects.filter(to=w.vc.functional_mailbox).exists()
    deadline = Deadline.objects.get(subject_key=f"invitation:{invitation['id']}")
    assert deadline.responsible_organisation == w.vc
    assert deadline.status == "OPEN"

    # The vårdcentral's system accepts its own invitation.
    clock.move_to(local(2022, 11, 15, 9, 0))
    response = w.vc_api.post(
        f"/api/v1/sips/{sip['id']}/invitations/{invitation['id']}/answer", {"answer": "ACCEPT"}
    )
    assert response.status_code == 200, response.json()
    assert _vc_invitation(response.json(), w)["state"] == "ACCEPTED"
    deadline.refresh_from_db()
    assert deadline.status == "MET"
    assert set(
        InvitationEvent.objects.filter(invitation_id=invitation["id"]).values_list("to_state", "by")
    ) >= {("ACKNOWLEDGED", w.vc_client.user.pk), ("ACCEPTED", w.vc_client.user.pk)}

    # The meeting is the initiator's step: the vårdcentral's system cannot record it.
    response = w.vc_api.post(f"/api/v1/sips/{sip['id']}/meeting", {"attendance": []})
    assert response.status_code == 403
    assert Meeting.objects.get(sip_id=sip["id"]).held_at is None

    clock.move_to(local(2022, 11, 18, 11, 30))
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/meeting",
        {
            "attendance": [{"invitation_id": invitation["id"], "attendance": "ATTENDED"}],
            "notes": "Alla närvarande",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == SipProcess.Stage.PLAN
    assert body["meetings"][0]["held_at"] is not None
    assert _vc_invitation(body, w)["attendance"] == "ATTENDED"

    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/plan",
        {
            "overall_responsibility": "KOMMUN",
            "own_goals": "Bo kvar hemma",
            "follow_up_date": "2022-12-16",
            "interventions": [
                {
                    "description": "Hemtjänst morgon och kväll",
                    "organisation_id": w.social.pk,
                    "start_date": "2022-11-21",
                },
                {
                    "description": "Läkemedelsgenomgång",
                    "organisation_id": w.vc.pk,
                    "start_date": "2022-11-25",
                },
            ],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["plan"]["number"] == 1
    assert {i["organisation"]["id"] for i in body["plan"]["interventions"]} == {
        w.social.pk,
        w.vc.pk,
    }
    assert body["open_steps"] == [{"step": "follow_up", "organisation_id": w.social.pk}]
    assert Deadline.objects.get(process_id=sip["id"], kind="SIP_FOLLOW_UP").status == "OPEN"

    # Every write was access-logged with the acting client's service user.
    logged = AccessLog.objects.filter(process_id=sip["id"])
    assert set(logged.values_list("user", "organisation", "action")) >= {
        (w.social_client.user.pk, w.social.pk, AccessLog.Action.CREATE),
        (w.social_client.user.pk, w.social.pk, AccessLog.Action.UPDATE),
        (w.vc_client.user.pk, w.vc.pk, AccessLog.Action.UPDATE),
    }


def test_write_needs_the_sip_write_scope(world, clock):
    w = world
    _, reader = issue(w.social, "Läsare", scopes=["sip:read"])
    response = reader.post(
        "/api/v1/sips",
        {
            "personal_identity_number": w.individual.personal_identity_number,
            "initiated_by": officer(w).username,
            "reason": "x",
        },
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:kardborre:problem:insufficient-scope"
    assert not SipProcess.objects.exists()


def test_another_organisations_sip_is_not_found_and_untouched(world, clock):
    w = world
    sip = _start(w)
    response = w.other_api.post(
        f"/api/v1/sips/{sip['id']}/consent", {"decision": "GIVEN", "method": "WRITTEN"}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not Consent.objects.exists()


def test_a_participant_does_not_answer_another_organisations_invitation(world, clock):
    w = world
    body = _invited(w)
    social_own = [
        i for i in body["meetings"][0]["invitations"] if i["organisation"]["id"] == w.social.pk
    ][0]
    # The initiator's own place is taken at once; the vårdcentral cannot answer for it.
    assert social_own["state"] == "ACCEPTED"
    invitation = _vc_invitation(body, w)
    _, ward_api = issue(w.ward, "TakeCare SIP")
    response = ward_api.post(
        f"/api/v1/sips/{body['id']}/invitations/{invitation['id']}/answer", {"answer": "ACCEPT"}
    )
    assert response.status_code == 404  # the ward is no party: it does not see the SIP
    assert Invitation.objects.get(pk=invitation["id"]).state == "SENT"


def test_decline_needs_a_reason_and_writes_nothing_without(world, clock):
    w = world
    body = _invited(w)
    invitation = _vc_invitation(body, w)
    path = f"/api/v1/sips/{body['id']}/invitations/{invitation['id']}/answer"
    before = InvitationEvent.objects.count()
    response = w.vc_api.post(path, {"answer": "DECLINE"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    assert InvitationEvent.objects.count() == before
    response = w.vc_api.post(path, {"answer": "DECLINE", "reason": "Ingen läkare ledig"})
    assert response.status_code == 200, response.json()
    stored = Invitation.objects.get(pk=invitation["id"])
    assert (stored.state, stored.decline_reason) == ("DECLINED", "Ingen läkare ledig")


def test_plan_with_an_unknown_organisation_is_refused_and_nothing_written(world, clock):
    w = world
    body = _invited(w)
    clock.move_to(local(2022, 11, 18, 11, 30))
    assert (
        w.social_api.post(f"/api/v1/sips/{body['id']}/meeting", {"attendance": []}).status_code
        == 200
    )
    response = w.social_api.post(
        f"/api/v1/sips/{body['id']}/plan",
        {
            "overall_responsibility": "KOMMUN",
            "own_goals": "Bo kvar hemma",
            "follow_up_date": "2022-12-16",
            "interventions": [
                {"description": "Hemtjänst", "organisation_id": 999999, "start_date": "2022-11-21"}
            ],
        },
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "interventions"
    assert not PlanVersion.objects.exists()
    assert SipProcess.objects.get(pk=body["id"]).stage == SipProcess.Stage.PLAN
    # The step is still open for a corrected plan.
    assert {"step": "plan", "organisation_id": w.social.pk} in w.social_api.get(
        f"/api/v1/sips/{body['id']}"
    ).json()["open_steps"]


def test_invitations_before_consent_are_refused(world, clock):
    w = world
    sip = _start(w)
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/invitations",
        {"starts_at": (local(2022, 11, 18, 10, 0)).isoformat(), "place": "Rum 2"},
    )
    assert response.status_code == 409
    assert not Meeting.objects.exists()


def test_meeting_without_place_link_or_phone_is_refused(world, clock):
    w = world
    sip = _consented(w)
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/invitations",
        {
            "starts_at": (local(2022, 11, 14, 9, 0) + dt.timedelta(days=4)).isoformat(),
            "organisation_ids": [w.vc.pk],
        },
    )
    assert response.status_code == 422
    assert not Meeting.objects.exists()
    assert not Invitation.objects.exists()


def test_an_unreachable_unit_is_invited_once_the_second_channel_is_logged(world, clock):
    w = world
    w.vc.reachability = "NO"
    w.vc.save()
    body = _invited(w)
    invitation = _vc_invitation(body, w)
    assert (invitation["state"], invitation["needs_second_channel"]) == ("DRAFT", True)
    path = f"/api/v1/sips/{body['id']}/invitations/{invitation['id']}/second-channel"
    # Only the initiator logs it; a phone call needs its note; nothing is sent before.
    response = w.vc_api.post(path, {"channel": "PHONE", "note": "Ringt"})
    assert response.status_code == 403
    response = w.social_api.post(path, {"channel": "PHONE"})
    assert response.status_code == 422
    assert Invitation.objects.get(pk=invitation["id"]).state == "DRAFT"
    response = w.social_api.post(
        path, {"channel": "PHONE", "note": "Talat med sjuksköterska Eva, kommer"}
    )
    assert response.status_code == 200, response.json()
    sent = _vc_invitation(response.json(), w)
    assert (sent["state"], sent["second_channel"]) == ("SENT", "PHONE")
    assert Deadline.objects.get(subject_key=f"invitation:{invitation['id']}").status == "OPEN"


def test_a_plan_from_one_principal_without_the_reason_is_refused(world, clock):
    w = world
    body = _invited(w)
    clock.move_to(local(2022, 11, 18, 11, 30))
    w.social_api.post(f"/api/v1/sips/{body['id']}/meeting", {"attendance": []})
    plan = {
        "overall_responsibility": "KOMMUN",
        "own_goals": "Bo kvar hemma",
        "follow_up_date": "2022-12-16",
        "interventions": [
            {"description": "Hemtjänst", "organisation_id": w.social.pk, "start_date": "2022-11-21"}
        ],
    }
    response = w.social_api.post(f"/api/v1/sips/{body['id']}/plan", plan)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "one_huvudman_reason"
    assert not PlanVersion.objects.exists()

    plan["one_huvudman_reason"] = "Vårdcentralens insatser är oförändrade."
    response = w.social_api.post(f"/api/v1/sips/{body['id']}/plan", plan)
    assert response.status_code == 200, response.json()
    assert response.json()["plan"]["one_huvudman_reason"].startswith("Vårdcentralens")
