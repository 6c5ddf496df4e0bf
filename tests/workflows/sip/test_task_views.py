"""The SIP task pages on the shared base (``workflows.taskviews``): two users or two
tabs finishing the same step, and a step that the case no longer needs. Driven
through the pages with Django's test client."""

import pytest
from viewflow.workflow.status import STATUS

from workflows.sip.flows import SipFlow
from workflows.sip.models import SipEvent, SipProcess

from .helpers import open_task, start_sip, take_task

pytestmark = pytest.mark.django_db

GIVEN = {"decision": "GIVEN", "given_by_individual": "on", "method": "ORAL"}
DECLINED = {**GIVEN, "decision": "DECLINED", "scope_note": "Ångrade sig"}


def _version(page) -> str:
    html = page.content.decode()
    marker = 'name="process_version" value="'
    assert marker in html, "the task page carries the case's version"
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_second_user_finishing_the_same_step_is_told_and_the_first_result_kept(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    url = take_task(client, world.handlaggare, sip, SipFlow.consent)
    task = open_task(sip, SipFlow.consent)
    version = _version(client.get(url))

    colleague = client.__class__()
    colleague.force_login(world.colleague)
    # The colleague has the same step open and saves first: it is Karin's step.
    response = colleague.post(url, DECLINED, follow=True)
    assert response.status_code == 200
    assert "Steget har redan tagits av Karin Handlaggare" in response.content.decode()
    assert response.redirect_chain[-1][0] == sip.get_absolute_url()

    response = client.post(url, {**GIVEN, "process_version": version})
    assert response.status_code == 302
    assert response.url == sip.get_absolute_url()

    # The colleague again, and Karin from a second tab: both told, nothing changes.
    for other in (colleague, client):
        response = other.post(url, {**DECLINED, "process_version": version}, follow=True)
        assert response.status_code == 200
        assert "Steget är redan utfört av Karin Handlaggare" in response.content.decode()

    task.refresh_from_db()
    assert task.status == STATUS.DONE and task.owner == world.handlaggare
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.INVITATION
    assert sip.consent.decision == "GIVEN" and sip.consent.is_in_force
    assert not sip.events.filter(kind=SipEvent.Kind.CONSENT_DECLINED).exists()


def test_step_cancelled_by_a_revocation_while_open_is_explained(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    client.post(take_task(client, world.handlaggare, sip, SipFlow.consent), GIVEN)
    url = take_task(client, world.handlaggare, sip, SipFlow.invite)
    version = _version(client.get(url))

    colleague = client.__class__()
    colleague.force_login(world.colleague)
    response = colleague.post(f"/sips/{sip.pk}/samtycke/aterkalla/", {"note": "Ringde"})
    assert response.status_code == 302

    response = client.post(
        url,
        {"starts_at": "2030-01-10T10:00", "phone": "08-1", "process_version": version},
        follow=True,
    )
    assert response.status_code == 200
    assert "Steget behövs inte längre." in response.content.decode()
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CONSENT_REVOKED
    assert not sip.meetings.exists()


def test_a_refused_step_is_a_message_on_the_form(client, world):
    sip = start_sip(client, world.handlaggare, individual=world.child, organisation=world.bistand)
    url = take_task(client, world.handlaggare, sip, SipFlow.consent)
    # A child without a registered guardian: the service refuses, the form says why.
    response = client.post(url, {**GIVEN, "process_version": _version(client.get(url))})
    assert response.status_code == 200
    assert "registrera först vårdnadshavarna" in response.content.decode()
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CONSENT and sip.consent is None
    assert open_task(sip, SipFlow.consent).status != STATUS.DONE


def test_step_owner_who_left_the_organisation_is_refused(client, world):
    sip = start_sip(
        client, world.handlaggare, individual=world.individual, organisation=world.bistand
    )
    url = take_task(client, world.handlaggare, sip, SipFlow.consent)
    assert client.get(url).status_code == 200
    world.handlaggare.memberships.update(is_active=False)
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, GIVEN).status_code in (403, 404)
    sip.refresh_from_db()
    assert sip.stage == SipProcess.Stage.CONSENT
