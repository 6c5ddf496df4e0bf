"""The outbox page, resend, "Mina inställningar" and the case page panel."""

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.models import NotificationPreference, OutboundEmail
from notifications.services import outbox_deliver_pending
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.notifications.factories import ProcessFactory, build_registry
from workflows.services import deadline_open
from workflows.tasks import deadlines_sweep

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
DUE = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)
OUTBOX = "/notifications/utkorg/"


def _row(to, *, status="PENDING", organisation=None, **kw):
    defaults = {
        "idempotency_key": f"test:{to}:{status}:{OutboundEmail.objects.count()}",
        "to": to,
        "template": "notifications/email/deadline_reminder",
        "subject": f"Påminnelse till {to}",
        "status": status,
        "organisation": organisation,
    }
    if status == "SENT":
        defaults["sent_at"] = DUE
    if status == "SENDING":
        defaults["claimed_at"] = DUE
    defaults.update(kw)
    return OutboundEmail.objects.create(**defaults)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True))
    return client


def test_outbox_url_and_login():
    assert reverse("notifications:outbox_list") == OUTBOX


def test_outbox_requires_login(client):
    response = client.get(OUTBOX)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_outbox_lists_filters_and_searches_for_administrators(admin_client):
    _row("karin@example.se", status="SENT")
    _row("johan@example.se", status="FAILED", attempts=8, last_error="Connection refused")
    _row("maria@example.se", status="PENDING")
    page = admin_client.get(OUTBOX).content.decode()
    assert "Utkorg" in page
    assert "3 e-postmeddelanden" in page
    assert "karin@example.se" in page and "johan@example.se" in page
    assert "Connection refused" in page
    assert "Misslyckades" in page and "Skickat" in page and "Väntar" in page
    assert "Skicka igen" in page

    page = admin_client.get(OUTBOX, {"status": "FAILED"}).content.decode()
    assert "johan@example.se" in page and "karin@example.se" not in page

    page = admin_client.get(OUTBOX, {"recipient": "KARIN"}).content.decode()
    assert "karin@example.se" in page and "johan@example.se" not in page

    response = admin_client.get(OUTBOX, {"status": "NOPE"})
    assert response.status_code == 200
    assert "Några filter var ogiltiga" in response.content.decode()


def test_outbox_paginates(admin_client):
    for n in range(55):
        _row(f"person{n:02d}@example.se", created_at=DUE - n * H)
    first = admin_client.get(OUTBOX).content.decode()
    second = admin_client.get(OUTBOX, {"page": 2}).content.decode()
    assert "person00@example.se" in first and "person54@example.se" not in first
    assert "person54@example.se" in second
    assert admin_client.get(OUTBOX, {"page": 9}).status_code == 404


def test_others_see_only_their_organisations_and_their_own_email(client):
    reg = build_registry()
    _row("bistand.soder@example.se", organisation=reg.bistand)
    _row("handlaggare.sodermalm@example.se")
    _row("rosenlund@example.se", organisation=reg.vardcentral)
    client.force_login(reg.handlaggare)
    page = client.get(OUTBOX).content.decode()
    assert "bistand.soder@example.se" in page
    assert "handlaggare.sodermalm@example.se" in page
    assert "rosenlund@example.se" not in page
    assert "Skicka igen" not in page


def test_resend_by_an_administrator(admin_client):
    failed = _row("johan@example.se", status="FAILED", attempts=8, last_error="timeout")
    url = reverse("notifications:outbox_resend", args=[failed.pk])
    response = admin_client.post(url, {"query": "status=FAILED"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{OUTBOX}?status=FAILED"
    assert "E-postmeddelandet till johan@example.se skickas igen." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("PENDING", 0)
    assert failed.resent_by.username == "admin"
    assert outbox_deliver_pending() == 1

    # A pending row cannot be "sent again"; nothing changes.
    pending = _row("maria@example.se")
    response = admin_client.post(
        reverse("notifications:outbox_resend", args=[pending.pk]), follow=True
    )
    assert "Bara ett misslyckat eller skickat" in response.content.decode()
    pending.refresh_from_db()
    assert pending.resent_at is None


def test_admin_membership_may_resend_others_may_not(client):
    failed = _row("johan@example.se", status="FAILED")
    url = reverse("notifications:outbox_resend", args=[failed.pk])
    client.force_login(MembershipFactory(role="HANDLAGGARE").user)
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    failed.refresh_from_db()
    assert failed.status == "FAILED"

    client.force_login(MembershipFactory(role="ADMIN", organisation=OrganisationFactory()).user)
    assert client.post(url).status_code == 302
    failed.refresh_from_db()
    assert failed.status == "PENDING"
    assert client.post(reverse("notifications:outbox_resend", args=[99999])).status_code == 404


def test_preferences_page_turns_the_digest_off_and_on(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("notifications:preferences")
    page = client.get(url).content.decode()
    assert "Mina inställningar" in page
    assert "Skicka mig en daglig sammanfattning" in page
    assert 'name="daily_digest"' in page and "checked" in page

    response = client.post(url, {}, follow=True)
    assert "Dina inställningar har sparats." in response.content.decode()
    assert NotificationPreference.objects.get(user=user).daily_digest is False
    assert "checked" not in client.get(url).content.decode()

    client.post(url, {"daily_digest": "on"})
    assert NotificationPreference.objects.get(user=user).daily_digest is True


def test_case_panel_shows_reminders_and_deadline_events():
    reg = build_registry()
    process = ProcessFactory()
    other = ProcessFactory()
    with time_machine.travel(DUE - 20 * H, tick=False):
        for case in (process, other):
            deadline_open(
                process=case,
                kind="INSKRIVNING_ACK",
                responsible_organisation=reg.bistand,
                due_at=DUE,
            )
    for at in (DUE - 4 * H, DUE, DUE + 4 * H):
        with time_machine.travel(at, tick=False):
            deadlines_sweep()
            outbox_deliver_pending()
    OutboundEmail.objects.filter(process=other).update(to="other-case@example.se")

    html = render_to_string("workflows/_process_notifications.html", {"process": process})
    assert "Påminnelser och e-post" in html
    assert "Eskalerad" in html  # the deadline event
    assert "Påminnelse skickad" in html
    assert "Kvittera inskrivningsmeddelandet" in html
    assert "ksa.sodermalm@example.se" in html
    assert "Eskalering: inskrivningsmeddelandet har inte kvitterats i tid" in html
    assert "Skickat" in html
    assert "other-case@example.se" not in html

    empty = render_to_string("workflows/_process_notifications.html", {"process": ProcessFactory()})
    assert "Inga påminnelser eller e-postmeddelanden har skickats för ärendet." in empty
