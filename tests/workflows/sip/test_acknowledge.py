"""The public one-click acknowledgement link: signed, expiring, idempotent, no personal data."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from workflows.models import Deadline
from workflows.sip import services

from .factories import InvitationFactory, MeetingFactory, SipProcessFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(world):
    sip = SipProcessFactory(individual=world.individual, initiating_organisation=world.bistand)
    services.sip_consent_record(sip=sip, decision="GIVEN", method="ORAL", by=world.handlaggare)
    meeting = MeetingFactory(
        sip=sip, starts_at=timezone.now() + dt.timedelta(days=20), place="Ringvägen 101"
    )
    invitation = InvitationFactory(meeting=meeting, organisation=world.vc)
    return services.invitation_send(invitation=invitation, by=world.handlaggare)


def _path(url):
    return (
        url.split("localhost:8000", 1)[-1]
        if "localhost:8000" in url
        else url[url.index("/kallelse/") :]
    )


def test_recipient_contract_gives_address_and_link(world, invitation):
    email, url = services.invitation_recipient(invitation_id=invitation.pk)
    assert email == world.vc.functional_mailbox
    assert url.startswith("http") and "/kallelse/" in url


def test_get_shows_a_button_and_changes_nothing(client, invitation):
    _, url = services.invitation_recipient(invitation_id=invitation.pk)
    response = client.get(_path(url))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kvittera kallelsen" in page
    # No personal data: neither the individual's name nor the meeting place.
    for secret in (
        "Astrid",
        "Johansson",
        "Ringvägen",
        invitation.sip.individual.personal_identity_number,
    ):
        assert secret not in page
    invitation.refresh_from_db()
    assert invitation.state == "SENT" and invitation.events.count() == 1


def test_post_acknowledges_once_and_a_second_click_is_harmless(client, world, invitation):
    _, url = services.invitation_recipient(invitation_id=invitation.pk)
    response = client.post(_path(url), {"action": "acknowledge"})
    assert response.status_code == 200
    assert "Tack. Kallelsen är kvitterad." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "ACKNOWLEDGED"
    event = invitation.events.last()
    assert event.via_link and event.by is None and event.to_state == "ACKNOWLEDGED"
    deadline = Deadline.objects.get(subject_key=f"invitation:{invitation.pk}")
    assert deadline.status == "MET"

    response = client.post(_path(url), {"action": "acknowledge"})
    assert "Kallelsen är redan kvitterad." in response.content.decode()
    assert invitation.events.count() == 2  # sent + acknowledged, nothing new

    client.force_login(world.handlaggare)
    history = client.get(invitation.sip.get_absolute_url()).content.decode()
    assert "deltagaren via länk" in history and "Skickad, ej besvarad → Kvitterad" in history
    client.logout()

    # The participant may then say whether they come.
    response = client.post(_path(url), {"action": "decline", "reason": "Semester"})
    assert "Du har meddelat att du inte kan delta" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "DECLINED" and invitation.decline_reason == "Semester"


def test_expired_link_shows_an_error(client, invitation):
    _, url = services.invitation_recipient(invitation_id=invitation.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        response = client.post(_path(url), {"action": "acknowledge"})
    assert response.status_code == 400
    assert "Länken har gått ut" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "SENT"


def test_link_age_is_configurable(client, settings, invitation):
    settings.SIP_ACK_LINK_DAYS = 30
    _, url = services.invitation_recipient(invitation_id=invitation.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        assert client.get(_path(url)).status_code == 200


def test_tampered_link_shows_an_error(client, invitation):
    _, url = services.invitation_recipient(invitation_id=invitation.pk)
    path = _path(url)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    forged = signing.dumps({"invitation": invitation.pk}, salt="another.purpose")
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = client.post(f"/kallelse/{bad}/", {"action": "acknowledge"})
        assert response.status_code == 400
        assert "Länken är inte giltig." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "SENT"


def test_the_link_works_only_while_the_organisation_is_a_party(client, invitation):
    """The one-click page reads through the access rule: the token's organisation must
    be a party of the SIP (recorded when it was invited)."""
    from coordination.models import ProcessParty

    _, url = services.invitation_recipient(invitation_id=invitation.pk)
    parties = ProcessParty.objects.filter(
        process_id=invitation.meeting.sip_id, organisation_id=invitation.organisation_id
    )
    assert set(parties.values_list("reason", flat=True)) >= {"SIP_INVITATION"}
    assert client.get(_path(url)).status_code == 200
    parties.delete()
    response = client.post(_path(url), {"action": "acknowledge"})
    assert response.status_code == 400
    assert "Kvittera kallelsen" not in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "SENT"
