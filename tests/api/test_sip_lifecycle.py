"""The rest of a SIP through the API, with the same services as the SIP page: who may
initiate (the page's role rule), the plan's approvals, the follow-up (revise or close),
the consent revoked or renewed at 18, and the withdrawal (makulering). Each write is
access-logged with the client; a step of another organisation, a missing scope and bad
input are refused with nothing written."""

import datetime as dt
import json

import pytest
import time_machine

from coordination.models import AccessLog, Consent, Membership
from coordination.personnummer import make_test_number
from notifications.models import OutboundEmail
from tests.factories import IndividualFactory
from tests.workflows.discharge.factories import member
from tests.workflows.sip.factories import RelatedPersonFactory
from workflows.models import Deadline
from workflows.sip.models import PlanApproval, SipEvent, SipProcess

from .conftest import issue, local
from .test_sip_writes import _invited, _vc_invitation, officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as traveller:
        yield traveller


PLAN = {
    "overall_responsibility": "KOMMUN",
    "own_goals": "Bo kvar hemma",
    "follow_up_date": "2022-12-16",
}


def _planned(w, clock) -> dict:
    """A SIP with its meeting held and plan version 1 saved by the kommun's system; the
    plan has interventions of the kommun and of the vårdcentral."""
    sip = _invited(w)
    invitation = _vc_invitation(sip, w)
    clock.move_to(local(2022, 11, 18, 11, 30))
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/meeting",
        {"attendance": [{"invitation_id": invitation["id"], "attendance": "ATTENDED"}]},
    )
    assert response.status_code == 200, response.json()
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/plan",
        {
            **PLAN,
            "interventions": [
                {
                    "description": "Hemtjänst",
                    "organisation_id": w.social.pk,
                    "start_date": "2022-11-21",
                },
                {
                    "description": "Läkemedel",
                    "organisation_id": w.vc.pk,
                    "start_date": "2022-11-25",
                },
            ],
        },
    )
    assert response.status_code == 200, response.json()
    return response.json()


def _updates_by(w, client, sip_id) -> int:
    return AccessLog.objects.filter(
        process_id=sip_id, user=client.user, action=AccessLog.Action.UPDATE
    ).count()


# --- Who may initiate ------------------------------------------------------------------------


def _start_as(w, initiated_by):
    return w.social_api.post(
        "/api/v1/sips",
        {
            "personal_identity_number": w.individual.personal_identity_number,
            "initiated_by": initiated_by,
            "reason": "Samordning",
        },
    )


@pytest.mark.parametrize(
    "who",
    ["nobody", "nurse_of_another_organisation", "mas", "admin", "inactive", "system"],
)
def test_only_a_case_handling_member_of_the_clients_organisation_initiates(world, clock, who):
    """The page's rule (``initiating_organisations_of``): an active member of the
    client's organisation as case officer, designated care contact, nurse, physician or
    KSA. Anyone else is refused with the field named, and nothing is written."""
    w = world
    if who == "nobody":
        initiated_by = "SE2120001234-NOONE"
    elif who == "nurse_of_another_organisation":
        initiated_by = w.nurse.username  # a nurse of the ward, not of the kommun
    elif who in ("mas", "admin"):
        initiated_by = member(w.social, who.upper()).username
    elif who == "inactive":
        person = member(w.social, "HANDLAGGARE")
        Membership.objects.filter(user=person).update(is_active=False)
        initiated_by = person.username
    else:  # the client's own service user is not a person who initiates
        initiated_by = w.social_client.user.username
    response = _start_as(w, initiated_by)
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == "initiated_by"
    assert not SipProcess.objects.exists()


@pytest.mark.parametrize("role", ["HANDLAGGARE", "FAST_VARDKONTAKT", "SJUKSKOTERSKA", "KSA"])
def test_a_case_handling_member_initiates_in_their_own_name(world, clock, role):
    w = world
    person = member(w.social, role)
    response = _start_as(w, person.username)
    assert response.status_code == 201, response.json()
    sip = SipProcess.objects.get(pk=response.json()["id"])
    assert sip.created_by == person
    assert sip.initiating_organisation == w.social
    assert SipEvent.objects.get(sip=sip, kind=SipEvent.Kind.INITIATED).by == person
    # Read and logged with the client as actor.
    assert AccessLog.objects.filter(
        process_id=sip.pk, user=w.social_client.user, action=AccessLog.Action.CREATE
    ).exists()


# --- Plan approvals --------------------------------------------------------------------------


def test_plan_approvals(world, clock):
    w = world
    sip = _planned(w, clock)
    url = f"/api/v1/sips/{sip['id']}/plan/1/approve"
    assert sip["plan"]["approvals"] == []

    # The vårdcentral's system approves for its own organisation.
    response = w.vc_api.post(url, {"note": "Godkänt av vårdcentralen"})
    assert response.status_code == 200, response.json()
    (approval,) = response.json()["plan"]["approvals"]
    assert approval["organisation"]["id"] == w.vc.pk
    assert approval["by_individual"] is False
    stored = PlanApproval.objects.get()
    assert (stored.approved_by, stored.note) == (w.vc_client.user, "Godkänt av vårdcentralen")
    assert _updates_by(w, w.vc_client, sip["id"]) == 1

    # Once per organisation and version.
    response = w.vc_api.post(url, {})
    assert response.status_code == 422
    assert PlanApproval.objects.count() == 1
    # Only the initiating organisation records the individual's approval.
    response = w.vc_api.post(url, {"party": "INDIVIDUAL"})
    assert response.status_code == 403
    response = w.social_api.post(url, {"party": "INDIVIDUAL", "note": "Håller med"})
    assert response.status_code == 200, response.json()
    assert [a["by_individual"] for a in response.json()["plan"]["approvals"]] == [False, True]
    # Organisations that do not see this SIP, a version that does not exist.
    assert w.ward_api.post(url, {}).status_code == 404
    assert w.other_api.post(url, {}).status_code == 404
    assert w.social_api.post(f"/api/v1/sips/{sip['id']}/plan/2/approve", {}).status_code == 404
    assert PlanApproval.objects.count() == 2


# --- Follow-up -------------------------------------------------------------------------------


def test_follow_up_revise_then_close(world, clock):
    w = world
    sip = _planned(w, clock)
    url = f"/api/v1/sips/{sip['id']}/follow-up"
    clock.move_to(local(2022, 12, 16, 9, 0))

    # The follow-up is routed to the kommun (the lead person's organisation).
    response = w.vc_api.post(url, {"decision": "CLOSE"})
    assert response.status_code == 403
    assert SipProcess.objects.get(pk=sip["id"]).stage == SipProcess.Stage.FOLLOW_UP
    response = w.social_api.post(url, {"decision": "MAYBE"})
    assert response.status_code == 422

    response = w.social_api.post(url, {"decision": "REVISE", "note": "Behoven har ändrats"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == SipProcess.Stage.PLAN
    assert body["open_steps"] == [{"step": "plan", "organisation_id": w.social.pk}]
    assert Deadline.objects.get(process_id=sip["id"], kind="SIP_FOLLOW_UP").status == "MET"
    # No follow-up is open until the new version is saved.
    assert w.social_api.post(url, {"decision": "CLOSE"}).status_code == 409

    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/plan",
        {
            **PLAN,
            "follow_up_date": "2023-02-01",
            "interventions": [
                {
                    "description": "Hemtjänst",
                    "organisation_id": w.social.pk,
                    "start_date": "2022-12-19",
                },
                {
                    "description": "Läkemedel",
                    "organisation_id": w.vc.pk,
                    "start_date": "2022-12-19",
                },
            ],
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["plan"]["number"] == 2

    clock.move_to(local(2023, 2, 1, 9, 0))
    response = w.social_api.post(url, {"decision": "CLOSE", "note": "Målen nådda"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == SipProcess.Stage.CLOSED
    assert body["open_steps"] == []
    closed = SipProcess.objects.get(pk=sip["id"])
    assert closed.closed_reason == "Målen nådda"
    assert SipEvent.objects.get(sip=closed, kind=SipEvent.Kind.CLOSED).by == w.social_client.user
    assert _updates_by(w, w.social_client, sip["id"]) >= 3


def test_follow_up_before_the_plan_is_refused(world, clock):
    w = world
    sip = _invited(w)
    response = w.social_api.post(f"/api/v1/sips/{sip['id']}/follow-up", {"decision": "CLOSE"})
    assert response.status_code == 409
    assert response.json()["type"] == "urn:kardborre:problem:step-not-open"
    assert SipProcess.objects.get(pk=sip["id"]).stage == SipProcess.Stage.MEETING


# --- Consent revoked -------------------------------------------------------------------------


def test_consent_revoked_stops_sharing(world, clock):
    w = world
    sip = _planned(w, clock)
    url = f"/api/v1/sips/{sip['id']}/consent/revoke"

    response = w.vc_api.post(url, {})
    assert response.status_code == 403
    assert SipProcess.objects.get(pk=sip["id"]).consent_in_force
    assert w.other_api.post(url, {}).status_code == 404

    clock.move_to(local(2022, 11, 20, 14, 0))
    response = w.social_api.post(url, {"note": "Sa nej i telefon"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == SipProcess.Stage.CONSENT_REVOKED
    assert body["sharing_stopped"] is True
    assert body["plan"] is None
    assert body["open_steps"] == []
    assert body["consent"]["in_force"] is False
    assert body["consent"]["revoked_at"] is not None
    consent = SipProcess.objects.get(pk=sip["id"]).consent
    assert consent.revoked_by == w.social_client.user
    assert Deadline.objects.get(process_id=sip["id"], kind="SIP_FOLLOW_UP").status == "CANCELLED"
    assert _updates_by(w, w.social_client, sip["id"]) >= 1
    # The participant no longer gets the plan either.
    assert w.vc_api.get(f"/api/v1/sips/{sip['id']}").json()["plan"] is None

    # Nothing in force any more: refused, nothing changes.
    response = w.social_api.post(url, {})
    assert response.status_code == 422
    consent.refresh_from_db()
    assert consent.revoked_by == w.social_client.user


# --- Consent renewed at 18 ------------------------------------------------------------------


def _childs_sip(w):
    """A SIP for a child turning 18 on 2022-12-01, consented by both guardians."""
    child = IndividualFactory(personal_identity_number=make_test_number(dt.date(2004, 12, 1), 982))
    guardians = [
        RelatedPersonFactory(individual=child, kind="VARDNADSHAVARE", has_custody=True)
        for _ in range(2)
    ]
    response = w.social_api.post(
        "/api/v1/sips",
        {
            "personal_identity_number": child.personal_identity_number,
            "initiated_by": officer(w).username,
            "reason": "Skola och BUP",
        },
    )
    assert response.status_code == 201, response.json()
    sip = response.json()
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/consent",
        {
            "decision": "GIVEN",
            "method": "WRITTEN",
            "given_by_individual": False,
            "guardian_ids": [g.pk for g in guardians],
        },
    )
    # Almost 18: the child's own view goes with the guardians' decision.
    assert response.status_code == 422, response.json()
    assert response.json()["errors"][0]["field"] == "child_view"
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/consent",
        {
            "decision": "GIVEN",
            "method": "WRITTEN",
            "given_by_individual": False,
            "guardian_ids": [g.pk for g in guardians],
            "child_view": "Jag vill att BUP är med.",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["consent"]["valid_until"] == "2022-12-01"
    return body


def test_own_consent_at_18_replaces_the_guardians(world, clock):
    w = world
    sip = _childs_sip(w)
    url = f"/api/v1/sips/{sip['id']}/consent/renew"
    decision = {"decision": "GIVEN", "method": "ORAL", "scope_note": "Gäller skola och BUP"}

    assert w.vc_api.post(url, decision).status_code == 404  # not a participant
    response = w.social_api.post(url, {**decision, "method": "EMAIL"})
    assert response.status_code == 422  # not a method

    response = w.social_api.post(url, decision)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["consent"]["given_by_individual"] is True
    assert body["consent"]["valid_until"] is None
    assert body["consent"]["in_force"] is True
    assert body["stage"] == SipProcess.Stage.INVITATION
    renewed = SipProcess.objects.get(pk=sip["id"]).consent
    assert (renewed.recorded_by, renewed.scope_note) == (
        w.social_client.user,
        "Gäller skola och BUP",
    )
    assert Deadline.objects.get(process_id=sip["id"], kind="SIP_OWN_CONSENT").status == "MET"
    # Now the consent is the individual's own: nothing more to renew.
    assert w.social_api.post(url, decision).status_code == 422


def test_own_consent_declined_at_18_ends_the_sip(world, clock):
    w = world
    sip = _childs_sip(w)
    response = w.social_api.post(
        f"/api/v1/sips/{sip['id']}/consent/renew", {"decision": "DECLINED", "method": "ORAL"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == SipProcess.Stage.CONSENT_REVOKED
    assert body["sharing_stopped"] is True
    assert body["open_steps"] == []
    assert SipProcess.objects.get(pk=sip["id"]).consent.decision == Consent.Decision.DECLINED


# --- Withdrawal (makulering) ----------------------------------------------------------------


def test_withdrawal(world, clock):
    w = world
    sip = _invited(w)
    url = f"/api/v1/sips/{sip['id']}/withdraw"

    assert w.vc_api.post(url, {"reason": "Fel person"}).status_code == 403
    assert w.other_api.post(url, {"reason": "Fel person"}).status_code == 404
    response = w.social_api.post(url, {"reason": "   "})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    assert w.social_api.post(url, {}).status_code == 422
    assert SipProcess.objects.get(pk=sip["id"]).stage == SipProcess.Stage.MEETING

    emails_before = OutboundEmail.objects.filter(to=w.vc.functional_mailbox).count()
    clock.move_to(local(2022, 11, 15, 8, 0))
    response = w.social_api.post(url, {"reason": "Registrerad på fel person"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["stage"] == SipProcess.Stage.WITHDRAWN
    assert body["withdrawn_at"] is not None
    assert body["open_steps"] == []
    assert _vc_invitation(body, w)["state"] == "WITHDRAWN"
    withdrawn = SipProcess.objects.get(pk=sip["id"])
    assert (withdrawn.withdrawn_by, withdrawn.withdrawal_reason) == (
        w.social_client.user,
        "Registrerad på fel person",
    )
    # The invited vårdcentral is told, without the reason or any personal data.
    told = OutboundEmail.objects.filter(to=w.vc.functional_mailbox).order_by("pk")
    assert told.count() == emails_before + 1
    # (rendered at delivery: what it is rendered from is checked)
    email = told.last()
    sent = f"{email.subject} {json.dumps(email.context, ensure_ascii=False)}"
    assert "fel person" not in sent
    assert w.individual.family_name not in sent
    assert w.individual.personal_identity_number not in sent
    assert _updates_by(w, w.social_client, sip["id"]) >= 1

    # A second withdrawal changes nothing and sends nothing.
    response = w.social_api.post(url, {"reason": "Igen"})
    assert response.status_code == 200
    assert OutboundEmail.objects.filter(to=w.vc.functional_mailbox).count() == emails_before + 1
    withdrawn.refresh_from_db()
    assert withdrawn.withdrawal_reason == "Registrerad på fel person"


# --- Scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("follow-up", {"decision": "CLOSE"}),
        ("consent/revoke", {}),
        ("consent/renew", {"decision": "GIVEN", "method": "ORAL"}),
        ("withdraw", {"reason": "Fel"}),
        ("plan/1/approve", {}),
    ],
)
def test_each_write_needs_the_sip_write_scope(world, clock, path, body):
    w = world
    sip = _planned(w, clock)
    _, reader = issue(w.social, "Läsare", scopes=["sip:read"])
    before = SipEvent.objects.filter(sip_id=sip["id"]).count()
    response = reader.post(f"/api/v1/sips/{sip['id']}/{path}", body)
    assert response.status_code == 403
    assert response.json()["type"] == "urn:kardborre:problem:insufficient-scope"
    assert SipEvent.objects.filter(sip_id=sip["id"]).count() == before
    assert not PlanApproval.objects.exists()
