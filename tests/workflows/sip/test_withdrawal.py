"""Withdrawal (makulering) of a SIP registered in error, and the consent's giver and
method (issue #12)."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from coordination.models import AccessLog, Consent
from notifications.services import outbox_deliver_pending
from workflows.models import Deadline
from workflows.sip.flows import SipFlow
from workflows.sip.models import Invitation, SipEvent, SipProcess

from .factories import RelatedPersonFactory
from .helpers import do_task, local_input, start_sip

pytestmark = pytest.mark.django_db


def _invited_sip(world):
    client = Client()
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "given_by_individual": "on", "method": "WRITTEN"},
    )
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.invite,
        {
            "starts_at": local_input(timezone.now() + dt.timedelta(days=5)),
            "place": "Biståndsenheten, Götgatan 1",
            "organisations": [world.vc.pk, world.hemtjanst.pk],
            "include_individual": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    outbox_deliver_pending()
    mail.outbox.clear()
    sip.refresh_from_db()
    return sip


def _url(sip):
    return reverse("sips:withdraw", args=[sip.pk])


def test_initiator_withdraws_and_every_invited_party_is_told(world):
    sip = _invited_sip(world)
    sent = {i.email for i in Invitation.objects.filter(meeting__sip=sip, state="SENT")}
    assert sent  # the vårdcentral and the individual
    draft = Invitation.objects.get(meeting__sip=sip, organisation=world.hemtjanst)
    assert draft.state == "DRAFT"  # unknown reachability: never sent

    client = Client()
    client.force_login(world.handlaggare)
    assert _url(sip) in client.get(sip.get_absolute_url()).content.decode()
    response = client.post(_url(sip), {"reason": "Fel person"})
    assert response.status_code == 302
    outbox_deliver_pending()

    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.WITHDRAWN and sip.status == PROCESS.CANCELED
    assert sip.withdrawal_reason == "Fel person" and sip.withdrawn_by == world.handlaggare
    assert not sip.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert not Deadline.objects.filter(process_id=sip.pk, status="OPEN").exists()
    assert set(Invitation.objects.filter(meeting__sip=sip).values_list("state", flat=True)) == {
        "WITHDRAWN"
    }
    assert sip.events.filter(kind=SipEvent.Kind.WITHDRAWN).count() == 1

    assert {m.to[0] for m in mail.outbox} == sent  # the never-sent draft gets nothing
    for message in mail.outbox:
        assert message.subject.startswith("SIP-mötet") and "är inställt" in message.subject
        assert "makulerat" in message.body
        assert world.individual.family_name not in message.body + message.subject
        assert world.individual.personal_identity_number not in message.body

    # A participant still reads it, marked withdrawn, and the read is logged.
    client.force_login(world.vardkontakt)
    page = client.get(sip.get_absolute_url())
    assert page.status_code == 200
    assert "Makulerad" in page.content.decode() and "Fel person" in page.content.decode()
    assert _url(sip) not in page.content.decode()
    assert AccessLog.objects.filter(user=world.vardkontakt, process_id=sip.pk).exists()


def test_double_submission_and_refusals(world):
    sip = _invited_sip(world)
    client = Client()
    client.force_login(world.vardkontakt)  # a participant, not the initiator
    assert client.post(_url(sip), {"reason": "x"}).status_code == 403
    client.force_login(world.outsider)
    assert client.post(_url(sip), {"reason": "x"}).status_code == 404
    client.force_login(world.handlaggare)
    assert client.post(_url(sip), {"reason": ""}).status_code == 200
    sip.refresh_from_db()
    assert sip.stage != SipProcess.Stage.WITHDRAWN and sip.status == PROCESS.NEW

    client.post(_url(sip), {"reason": "Dubblett"})
    client.post(_url(sip), {"reason": "Dubblett igen"})
    outbox_deliver_pending()
    sip.refresh_from_db()
    assert sip.withdrawal_reason == "Dubblett"
    assert sip.events.filter(kind=SipEvent.Kind.WITHDRAWN).count() == 1
    assert len(mail.outbox) == 2


def test_viewflow_cancel_leads_to_the_withdrawal(world):
    sip = _invited_sip(world)
    cancel = SipFlow.instance.reverse("process_cancel", args=[sip.pk])
    detail = SipFlow.instance.reverse("process_detail", args=[sip.pk])
    client = Client()
    client.force_login(world.handlaggare)
    assert client.get(cancel)["Location"] == _url(sip)
    assert _url(sip) in client.get(detail).content.decode()
    client.force_login(world.vardkontakt)
    assert client.get(cancel).status_code == 403
    assert _url(sip) not in client.get(detail).content.decode()
    sip.refresh_from_db()
    assert sip.stage != SipProcess.Stage.WITHDRAWN and sip.status == PROCESS.NEW


def test_consent_records_who_how_and_by_whom(world):
    client = Client()
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    trustee = RelatedPersonFactory(individual=world.individual, kind="GOD_MAN", name="Bo Ek")
    # Without how: refused, nothing written.
    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "guardians": [trustee.pk]},
    )
    assert response.status_code == 200
    assert not Consent.objects.exists()

    response = do_task(
        client,
        world.handlaggare,
        sip,
        SipFlow.consent,
        {"decision": "GIVEN", "guardians": [trustee.pk], "method": "ORAL"},
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.given_by_role == Consent.GiverRole.GOD_MAN
    assert consent.method == Consent.Method.ORAL
    assert consent.recorded_by == world.handlaggare
    page = client.get(sip.get_absolute_url()).content.decode()
    assert "God man eller förvaltare (Bo Ek)" in page and "muntligt" in page


def test_consent_refuses_a_related_person_of_someone_else(world):
    from workflows.sip import services

    from .factories import SipProcessFactory

    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    stranger = RelatedPersonFactory(individual=world.child, kind="GOD_MAN")
    with pytest.raises(Exception, match="närstående"):
        services.sip_consent_record(
            sip=sip,
            decision="GIVEN",
            method="WRITTEN",
            given_by_individual=False,
            guardians=[stranger],
            by=world.handlaggare,
        )
    assert not Consent.objects.exists()
