"""SipProcess.stage changes only through its declared transitions (STYLE.md rule 3)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from workflows.sip import services
from workflows.sip.flows import SipFlow
from workflows.sip.models import SipEvent, SipProcess

from .factories import SipProcessFactory
from .helpers import do_task, start_sip

pytestmark = pytest.mark.django_db

Stage = SipProcess.Stage


def test_stage_cannot_be_set_directly(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    with pytest.raises(AttributeError):
        sip.stage = Stage.CLOSED
    sip.refresh_from_db()  # reading it back is allowed
    assert sip.stage == Stage.CONSENT


@pytest.mark.parametrize(
    ("stage", "transition"),
    [
        (Stage.CONSENT, "close"),
        (Stage.CONSENT, "schedule_meeting"),
        (Stage.INVITATION, "save_plan"),
        (Stage.INVITATION, "hold_meeting"),
        (Stage.FOLLOW_UP, "hold_meeting"),
        (Stage.MEETING, "give_consent"),
        (Stage.CLOSED, "revise_plan"),
        (Stage.CONSENT_DECLINED, "revoke_consent"),
        (Stage.CONSENT_REVOKED, "schedule_meeting"),
        (Stage.WITHDRAWN, "withdraw"),
    ],
)
def test_illegal_stage_jump_raises(world, stage, transition):
    withdrawn = (
        {"withdrawn_at": timezone.now(), "withdrawal_reason": "Fel person"}
        if stage == Stage.WITHDRAWN
        else {}
    )
    sip = SipProcessFactory(
        individual=world.individual, initiating_organisation=world.bistand, stage=stage, **withdrawn
    )
    with pytest.raises(TransitionNotAllowed):
        getattr(sip, transition)()
    assert sip.stage == stage


def test_every_declared_path(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    path = [
        ("give_consent", Stage.INVITATION),
        ("schedule_meeting", Stage.MEETING),
        ("hold_meeting", Stage.PLAN),
        ("hold_meeting", Stage.PLAN),  # attendance corrected
        ("save_plan", Stage.FOLLOW_UP),
        ("revise_plan", Stage.PLAN),
        ("save_plan", Stage.FOLLOW_UP),
        ("save_plan", Stage.FOLLOW_UP),  # a new version before the follow-up
        ("close", Stage.CLOSED),
        ("revoke_consent", Stage.CONSENT_REVOKED),
        ("withdraw", Stage.WITHDRAWN),
    ]
    for transition, target in path:
        getattr(sip, transition)()
        assert sip.stage == target
    declined = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    declined.decline_consent()
    assert declined.stage == Stage.CONSENT_DECLINED
    for stage in (Stage.INVITATION, Stage.MEETING, Stage.PLAN, Stage.FOLLOW_UP):
        revoked = SipProcessFactory(
            individual=world.individual, initiating_organisation=world.bistand, stage=stage
        )
        revoked.revoke_consent()
        assert revoked.stage == Stage.CONSENT_REVOKED


def test_service_refuses_a_step_out_of_order_cleanly(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    # Awaiting consent: neither a plan nor a follow-up may be recorded.
    with pytest.raises(ValidationError) as refused:
        services.sip_follow_up_record(sip=sip, close=True, note="", by=world.handlaggare)
    assert "Awaiting consent" in str(refused.value) or "Inväntar samtycke" in str(refused.value)
    with pytest.raises(ValidationError):
        services.sip_plan_save(
            sip=sip,
            overall_responsibility="KOMMUN",
            own_goals="Bo kvar hemma",
            follow_up_date=timezone.localdate() + dt.timedelta(days=30),
            interventions=[
                {
                    "description": "Hemtjänst",
                    "organisation": world.bistand,
                    "start_date": timezone.localdate(),
                }
            ],
            by=world.handlaggare,
        )
    sip.refresh_from_db()
    assert sip.stage == Stage.CONSENT
    assert not sip.plan_versions.exists()
    assert list(sip.events.values_list("kind", flat=True)) == [SipEvent.Kind.INITIATED]


def test_consent_recorded_twice_is_refused(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    given = {"decision": "GIVEN", "given_by_individual": "on", "method": "ORAL"}
    assert do_task(client, world.handlaggare, sip, SipFlow.consent, given).status_code == 302
    sip.refresh_from_db()
    with pytest.raises(ValidationError):
        services.sip_consent_record(
            sip=sip, decision="DECLINED", method="ORAL", by=world.handlaggare
        )
    sip.refresh_from_db()
    assert sip.stage == Stage.INVITATION and sip.consent.decision == "GIVEN"
    assert sip.events.filter(kind=SipEvent.Kind.CONSENT_DECLINED).count() == 0
