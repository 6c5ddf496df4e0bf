"""Consent: given, declined, revoked, and a child's guardians (DOMAIN.md §2.3, §2.6)."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from notifications.services import outbox_deliver_pending
from workflows.models import Deadline
from workflows.sip import services
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, SipProcess

from .factories import RelatedPersonFactory
from .helpers import do_task, local_input, open_task, start_sip

pytestmark = pytest.mark.django_db


def _invite(client, world, sip):
    return do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.invite,
        {
            "starts_at": local_input(timezone.now() + dt.timedelta(days=3)),
            "phone": "08-123 456",
            "organisations": [world.vc.pk, world.hemtjanst.pk],
        },
    )


def test_declined_consent_ends_the_sip_with_the_reason(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {
            "decision": "DECLINED",
            "given_by_individual": "on",
            "method": "ORAL",
            "scope_note": "Vill inte ha möte nu",
        },
    )
    assert response.status_code == 302
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CONSENT_DECLINED
    assert sip.status == PROCESS.DONE
    assert sip.closed_reason == "Vill inte ha möte nu"
    assert not sip.task_set.filter(flow_task=SipFlow.invite).exists()
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "Samtycket nekades" in page and "Vill inte ha möte nu" in page


def test_revoked_consent_stops_sharing_at_once(client, world):
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
    assert _invite(client, world, sip).status_code == 302
    draft = Invitation.objects.get(organisation=world.hemtjanst)
    sent = Invitation.objects.get(organisation=world.vc)
    assert draft.state == "DRAFT" and sent.state == "SENT"
    outbox_deliver_pending()
    mail.outbox.clear()

    client.force_login(world.handlaggare)
    response = client.post(
        f"/sips/{sip.pk}/samtycke/aterkalla/", {"note": "Ringde och återkallade"}
    )
    assert response.status_code == 302
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CONSENT_REVOKED
    assert sip.consent.revoked_at is not None and sip.consent.revoked_by == world.handlaggare
    assert sip.status == PROCESS.CANCELED
    assert not sip.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).exists()
    assert Deadline.objects.get(subject_key=f"invitation:{sent.pk}").status == "CANCELLED"

    page = client.get(sip.get_absolute_url()).content.decode()
    assert "Samtycket har återkallats" in page
    assert "Registrera och skicka" not in page  # no more sending from the page

    # Nothing more goes out: the second channel is refused, reminders get no address.
    response = client.post(
        f"/sips/{sip.pk}/kallelser/{draft.pk}/andra-kanal/",
        {"channel": "FUNCTIONAL_MAILBOX", "note": ""},
    )
    draft.refresh_from_db()
    assert draft.state == "DRAFT"
    assert "inget mer får delas" in client.get(sip.get_absolute_url()).content.decode()
    assert services.invitation_recipient(invitation_id=sent.pk)[0] == ""
    outbox_deliver_pending()
    assert mail.outbox == []


def test_child_needs_both_custodial_guardians(client, world):
    petra = RelatedPersonFactory(
        individual=world.child, kind="VARDNADSHAVARE", has_custody=True, name="Petra Lindqvist"
    )
    jonas = RelatedPersonFactory(
        individual=world.child, kind="VARDNADSHAVARE", has_custody=True, name="Jonas Lindqvist"
    )
    sip = start_sip(client, world.handlaggare, individual=world.child, organisation=world.bistand)
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "guardians": [petra.pk], "method": "WRITTEN"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "varje vårdnadshavare delta i beslutet" in page
    assert "Vårdnadshavare:" in page and "Petra Lindqvist" in page and "Jonas Lindqvist" in page
    sip.refresh_from_db()
    assert sip.consent is None and open_task(sip, SipFlow.consent)

    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "guardians": [petra.pk, jonas.pk], "method": "WRITTEN"},
    )
    assert response.status_code == 302
    sip.refresh_from_db()
    assert sip.consent_in_force
    assert set(sip.consent.given_by.all()) == {petra, jonas}
    assert sip.consent.given_by_individual is False


def test_child_with_one_custodial_guardian(world):
    guardian = RelatedPersonFactory(individual=world.child, kind="VARDNADSHAVARE", has_custody=True)
    RelatedPersonFactory(individual=world.child, kind="VARDNADSHAVARE", has_custody=False)
    from .factories import SipProcessFactory

    sip = SipProcessFactory(individual=world.child, initiating_organisation=world.bistand)
    consent = services.sip_consent_record(
        sip=sip, decision="GIVEN", method="ORAL", guardians=[guardian], by=world.handlaggare
    )
    assert consent.is_in_force
