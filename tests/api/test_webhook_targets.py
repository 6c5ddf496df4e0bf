"""Webhook subscribers may not point the server into its own network: loopback,
private, link-local (cloud metadata) and other internal addresses are refused when
subscribing, by address or by a name that resolves there, and again at each delivery
(a name that later resolves inside fails the attempt). A receiver on one's own machine
only while DEBUG or with KARDBORRE_WEBHOOK_ALLOW_PRIVATE. And deviations reported or
answered reach both parties' systems."""

import socket

import pytest
import time_machine
from django.core.exceptions import ValidationError

from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks import url_check, webhooks_deliver_pending

from .conftest import local, notified_discharge
from .test_webhooks import Receiver, receiver, subscribe  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture
def dns(monkeypatch):
    """Names resolve as the test says: no network needed."""
    table = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name") from None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (host, port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.KARDBORRE_WEBHOOK_ALLOW_PRIVATE = False


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://api.localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://172.16.0.9/hooks",
        "https://192.168.1.20:8443/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "https://100.64.0.1/hooks",
        "https://intern.kommun.example/hooks",
        "https://user:pw@kommun.example/hooks",
        "http://kommun.example/hooks",
    ],
)
def test_internal_addresses_are_refused(world, production, dns, url):
    dns["intern.kommun.example"] = "10.20.30.40"
    dns["kommun.example"] = PUBLIC
    with pytest.raises(ValidationError) as caught:
        subscribe(world.social, url)
    assert "url" in caught.value.message_dict
    assert not WebhookSubscription.objects.exists()


def test_a_public_address_is_accepted(world, production, dns):
    dns["kommun.example"] = PUBLIC
    subscription = subscribe(world.social, "https://kommun.example/hooks")
    assert subscription.url == "https://kommun.example/hooks"
    url_check(f"https://{PUBLIC}/hooks", resolve_required=True)


def test_the_admin_form_refuses_an_internal_address(world, production, dns, admin_client):
    dns["intern.kommun.example"] = "192.168.0.5"
    form = {
        "organisation": world.social.pk,
        "client": "",
        "url": "https://intern.kommun.example/hooks",
        "event_types": ["message"],
    }
    response = admin_client.post("/admin/api/webhooksubscription/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert not WebhookSubscription.objects.exists()


def test_a_name_that_moves_inside_fails_at_delivery(world, production, dns):
    """Subscribed while public; by the delivery the name resolves to the metadata
    address: nothing is posted, the attempt fails with the reason, and is retried
    (so a name that returns to a public address is delivered later)."""
    w = world
    dns["kommun.example"] = PUBLIC
    subscribe(w.social, "https://kommun.example/hooks")
    posted = []
    webhooks_post = webhooks._post
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        notified_discharge(w)
        dns["kommun.example"] = "169.254.169.254"
        try:
            webhooks._post = lambda delivery: posted.append(delivery) or 200
            assert webhooks_deliver_pending() == 0
        finally:
            webhooks._post = webhooks_post
    assert posted == []
    delivery = WebhookDelivery.objects.filter(event_type="message.admission_notice").get()
    assert delivery.status == "PENDING" and delivery.attempts == 1
    assert delivery.last_error.startswith("{'url'")  # the address check refused it


@pytest.fixture
def local_server():
    server = Receiver()
    yield server
    server.stop()


def test_a_name_rebound_between_check_and_connection_is_not_followed(
    world, production, monkeypatch, local_server
):
    """DNS rebinding: the name answers a public address to the checks (when
    subscribing and before the delivery) and a loopback one after. The connection
    resolves once more and checks what it connects to: nothing reaches the
    loopback receiver."""
    w = world
    port = local_server.server.server_address[1]
    answers = []

    def getaddrinfo(host, port, *args, **kwargs):
        answers.append(host)
        address = PUBLIC if len(answers) <= 2 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", getaddrinfo)
    subscribe(w.social, f"https://rebind.kommun.example:{port}/hooks")
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        notified_discharge(w)
        assert webhooks_deliver_pending() == 0
    assert local_server.requests == []
    assert len(answers) == 3  # subscribe, the check before the delivery, the connection
    delivery = WebhookDelivery.objects.get(event_type="message.admission_notice")
    assert delivery.status == "PENDING" and delivery.last_status_code is None
    assert delivery.last_error.startswith("{'url'")


def test_the_connection_goes_to_the_checked_address_with_the_name(
    production, monkeypatch, dns, local_server
):
    """The pinned connection connects to the address it checked (here a name that only
    the test's resolver knows), and still sends the name as the Host."""
    port = local_server.server.server_address[1]
    dns["hooks.kommun.example"] = "127.0.0.1"
    monkeypatch.setattr(webhooks, "_forbidden_address", lambda address: False)
    connection = webhooks._PinnedHTTPConnection("hooks.kommun.example", port, timeout=5)
    connection.request("POST", "/hooks", body=b"{}")
    assert connection.getresponse().status == 200
    connection.close()
    (request,) = local_server.requests
    assert request["headers"]["Host"] == f"hooks.kommun.example:{port}"
    # And without the stand-in, loopback is refused before any connection.
    monkeypatch.undo()
    monkeypatch.setattr(
        webhooks.socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))],
    )
    with pytest.raises(ValidationError):
        webhooks._PinnedHTTPConnection("hooks.kommun.example", port, timeout=5).connect()
    assert len(local_server.requests) == 1


def test_a_local_receiver_only_with_the_setting(world, settings, dns):
    settings.DEBUG = False
    settings.KARDBORRE_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        url_check("http://127.0.0.1:8001/hooks")
    settings.KARDBORRE_WEBHOOK_ALLOW_PRIVATE = True
    url_check("http://127.0.0.1:8001/hooks")
    settings.KARDBORRE_WEBHOOK_ALLOW_PRIVATE = False
    settings.DEBUG = True
    url_check("http://localhost:8001/hooks")


def test_deviation_reported_and_answered_reach_both_parties(world, receiver):  # noqa: F811
    w = world
    subscribe(w.social, receiver.url, event_types=["deviation"], client=w.social_client)
    subscribe(w.ward, receiver.url, event_types=["deviation"], client=w.ward_client)
    subscribe(w.vc, receiver.url, event_types=["deviation"], client=w.vc_client)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        pk = notified_discharge(w)
        response = w.ward_api.post(
            "/api/v1/deviations",
            {
                "process_id": pk,
                "receiving_organisation_id": w.social.pk,
                "category": "INSKRIVNING_NOT_ACKNOWLEDGED",
                "description": "Ingen kvittens inom ett dygn.",
                "harm": "NO",
                "process_step": "INSKRIVNING",
            },
        )
        assert response.status_code == 201, response.json()
        deviation_id = response.json()["id"]
        webhooks_deliver_pending()
        reported = receiver.events("deviation.reported")
        assert {e["organisation_id"] for e in reported} == {w.ward.pk, w.social.pk}
        event = reported[0]["data"]
        assert event["deviation_id"] == deviation_id
        assert event["process_id"] == pk
        assert event["status"] == "REPORTED"
        assert event["links"]["deviation"].endswith(f"/api/v1/deviations/{deviation_id}")
        # No free text: neither the description nor a name travels in the event.
        raw = " ".join(r["body"].decode() for r in receiver.requests)
        assert "kvittens" not in raw and w.individual.family_name not in raw

        response = w.social_api.post(
            f"/api/v1/deviations/{deviation_id}/answer",
            {"explanation": "Bemanningsbrist under helgen.", "measures": "Ny rutin."},
        )
        assert response.status_code == 200, response.json()
        webhooks_deliver_pending()
    answered = receiver.events("deviation.answered")
    assert {e["organisation_id"] for e in answered} == {w.ward.pk, w.social.pk}
    assert "Bemanningsbrist" not in " ".join(r["body"].decode() for r in receiver.requests)
