"""Outbound webhooks: a kommun's system hears of the admission notice sent to it, signed
with its secret; a failing receiver gets the event again after the backoff, once it
answers; a revoked subscription gets nothing; no personal data leaves; plain HTTP is
refused outside DEBUG. A real HTTP receiver runs in a thread."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks import (
    signature_header,
    signature_verify,
    webhook_subscription_create,
    webhook_subscription_revoke,
    webhooks_deliver_pending,
)
from notifications import catalogue
from notifications.services import outbox_claim, outbox_enqueue_many
from workflows.discharge.models import DischargeProcess
from workflows.models import Deadline
from workflows.sip.services import sip_start_from_discharge
from workflows.tasks import deadlines_sweep

from .conftest import admit_body, local, notified_discharge

pytestmark = pytest.mark.django_db

ALL_TYPES = ["message", "deadline", "case"]


class Receiver:
    """An HTTP server on a free local port that records each request and answers with
    the next status of ``statuses`` (then 200)."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kardborre"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def events(self, event_type=None):
        found = [json.loads(r["body"]) for r in self.requests]
        return [e for e in found if event_type is None or e["type"] == event_type]


@pytest.fixture
def receiver(settings):
    # A receiver on this machine (loopback, plain HTTP): allowed only while DEBUG or
    # with the setting for a local receiver.
    settings.KARDBORRE_WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.stop()


def subscribe(organisation, url, event_types=None, client=None):
    return webhook_subscription_create(
        organisation=organisation, url=url, event_types=event_types or ALL_TYPES, client=client
    )


def test_admission_notice_reaches_the_subscribed_unit_signed(world, receiver):
    w = world
    subscription = subscribe(w.social, receiver.url, client=w.social_client)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        pk = notified_discharge(w)
        assert webhooks_deliver_pending() >= 1

        notices = receiver.events("message.admission_notice")
        assert len(notices) == 1
        event = notices[0]
        assert event["organisation_id"] == w.social.pk
        assert event["data"]["process_id"] == pk
        assert event["data"]["kind"] == "admission_notice"
        assert event["data"]["sent_at"].startswith("2022-11-14T08:00")  # 09:00 CET in UTC
        assert event["data"]["links"]["api"].endswith(f"/api/v1/discharges/{pk}")

        request = next(r for r in receiver.requests if json.loads(r["body"])["id"] == event["id"])
        assert request["headers"]["Kardborre-Event-Id"] == event["id"]
        header = request["headers"]["Kardborre-Signature"]
        assert signature_verify(secret=subscription.secret, header=header, body=request["body"])
        # Another subscriber's secret, or a changed body, does not verify.
        assert not signature_verify(secret="whsec_other", header=header, body=request["body"])
        assert not signature_verify(
            secret=subscription.secret, header=header, body=request["body"] + b" "
        )

        # With its own key the system reads what the link points at.
        link = event["data"]["links"]["api"]
        assert w.social_api.get(link[link.index("/api/") :]).status_code == 200

    # The vårdcentral has no subscription: nothing was written for it.
    assert not WebhookDelivery.objects.filter(subscription__organisation=w.vc).exists()
    row = WebhookDelivery.objects.get(event_id=event["id"])
    assert row.status == WebhookDelivery.Status.SENT and row.attempts == 1


def test_failing_receiver_is_retried_with_backoff_and_not_doubled(world, receiver):
    w = world
    subscribe(w.social, receiver.url, event_types=["message"])
    receiver.statuses = [500, 500]
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        notified_discharge(w)
        assert webhooks_deliver_pending() == 0
        row = WebhookDelivery.objects.get(event_type="message.admission_notice")
        assert row.status == WebhookDelivery.Status.PENDING
        assert (row.attempts, row.last_error, row.last_status_code) == (1, "HTTP 500", 500)
        first_retry = row.next_attempt_at
        assert first_retry == local(2022, 11, 14, 9, 1)  # 1 minute

        # Nothing is tried again before the backoff has passed.
        assert webhooks_deliver_pending() == 0
        assert len(receiver.requests) == 1

        clock.move_to(first_retry)
        assert webhooks_deliver_pending() == 0
        row.refresh_from_db()
        assert row.attempts == 2
        assert row.next_attempt_at == first_retry + dt.timedelta(minutes=2)  # doubled

        clock.move_to(row.next_attempt_at)
        assert webhooks_deliver_pending() == 1
        row.refresh_from_db()
        assert row.status == WebhookDelivery.Status.SENT and row.last_error == ""

        # Delivered: later runs and a repeated notice add nothing.
        clock.shift(dt.timedelta(hours=1))
        assert webhooks_deliver_pending() == 0

    assert len(receiver.requests) == 3
    assert len({r["headers"]["Kardborre-Event-Id"] for r in receiver.requests}) == 1
    assert WebhookDelivery.objects.count() == 1


def test_revoked_subscription_gets_nothing(world, receiver):
    w = world
    revoked = subscribe(w.social, receiver.url)
    webhook_subscription_revoke(subscription=revoked)
    later = subscribe(w.vc, receiver.url)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        notified_discharge(w)
        assert not WebhookDelivery.objects.filter(subscription=revoked).exists()
        # Revoked after its events were written: they are not sent either.
        assert WebhookDelivery.objects.filter(subscription=later).exists()
        webhook_subscription_revoke(subscription=later)
        assert webhooks_deliver_pending() == 0

    assert receiver.requests == []
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"FAILED"}
    assert WebhookDelivery.objects.filter(last_error="the subscription is revoked").exists()


def test_no_personal_data_leaves(world, receiver):
    w = world
    subscribe(w.social, receiver.url)
    subscribe(w.ward, receiver.url)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        notified_discharge(w)
        webhooks_deliver_pending()

    assert {e["type"] for e in receiver.events()} >= {"message.admission_notice", "case.changed"}
    pnr = w.individual.personal_identity_number
    for request in receiver.requests:
        body = request["body"].decode()
        for secret in (pnr, pnr.replace("-", ""), pnr[2:], w.individual.given_name):
            assert secret not in body
        assert w.individual.family_name not in body
        assert w.social.name not in body and w.ward.name not in body


def test_case_changes_reach_the_parties(world, receiver):
    w = world
    subscribe(w.ward, receiver.url, event_types=["case"])
    subscribe(w.other_ward, receiver.url, event_types=["case"])
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        response = w.ward_api.post("/api/v1/adt/admit", admit_body(w))
        pk = response.json()["discharge_id"]
        webhooks_deliver_pending()

    changes = receiver.events("case.changed")
    assert changes and {e["organisation_id"] for e in changes} == {w.ward.pk}
    assert {e["data"]["process_id"] for e in changes} == {pk}
    assert "REGISTERED" in {e["data"]["kind"] for e in changes}
    # Only event types the subscription asked for.
    assert {e["type"] for e in receiver.events()} == {"case.changed"}


def test_deadline_rungs_reach_the_responsible_organisation(world, receiver):
    w = world
    subscribe(w.ward, receiver.url, event_types=["deadline"])
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        response = w.ward_api.post("/api/v1/adt/admit", admit_body(w))
        pk = response.json()["discharge_id"]
        # The admission notice was due 24 h after the admission; nobody sent it.
        clock.move_to(local(2022, 11, 16, 9, 0))
        deadlines_sweep()
        deadlines_sweep()  # a second run writes no second event for the same rung
        webhooks_deliver_pending()

    due = receiver.events()
    assert due, "the sweep's rungs reach the ward's system"
    assert {e["type"].split(".")[0] for e in due} == {"deadline"}
    assert {e["data"]["deadline_kind"] for e in due} == {"INSKRIVNINGSMEDDELANDE"}
    assert {e["data"]["process_id"] for e in due} == {pk}
    rungs = [(e["data"]["deadline_id"], e["data"]["level"]) for e in due]
    assert len(rungs) == len(set(rungs))


def test_plain_http_is_refused_outside_debug(world, settings, admin_client):
    settings.DEBUG = False
    with pytest.raises(ValidationError):
        subscribe(w := world, "http://kommun.example/hooks")
    assert not WebhookSubscription.objects.exists()

    form = {
        "organisation": w.social.pk,
        "client": "",
        "url": "http://kommun.example/hooks",
        "event_types": ["message"],
    }
    response = admin_client.post("/admin/api/webhooksubscription/add/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "https://" in response.content.decode()
    assert not WebhookSubscription.objects.exists()

    form["url"] = "https://kommun.example/hooks"
    response = admin_client.post("/admin/api/webhooksubscription/add/", form, follow=True)
    subscription = WebhookSubscription.objects.get()
    assert subscription.url == "https://kommun.example/hooks"
    assert subscription.secret in response.content.decode()  # shown once, after saving


def test_signature_is_refused_outside_the_replay_window():
    body = b'{"id":"x"}'
    header = signature_header(secret="whsec_a", body=body, timestamp=1_700_000_000)
    assert signature_verify(secret="whsec_a", header=header, body=body, now=1_700_000_299)
    assert not signature_verify(secret="whsec_a", header=header, body=body, now=1_700_000_301)
    assert not signature_verify(secret="whsec_a", header=header, body=body, now=1_699_999_699)
    assert not signature_verify(secret="whsec_a", header="t=x,v1=y", body=body)
    assert not signature_verify(secret="whsec_a", header="", body=body)


def test_a_redirect_is_not_followed(world, receiver):
    subscribe(world.social, receiver.url, event_types=["message"])
    receiver.statuses = [302]
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        notified_discharge(world)
        assert webhooks_deliver_pending() == 0

    row = WebhookDelivery.objects.get()
    assert (row.status, row.last_status_code, row.last_error) == ("PENDING", 302, "HTTP 302")
    assert len(receiver.requests) == 1


def test_deadline_emails_along_the_chain_reach_the_recipients_organisation(world, receiver):
    """The sweep's bulk outbox rows name the organisation each recipient acts for: that
    organisation hears of the rung once, however many of its people got the email."""
    w = world
    subscribe(w.social, receiver.url, event_types=["deadline"])
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        w.ward_api.post("/api/v1/adt/admit", admit_body(w))
        deadline = Deadline.objects.get(kind="INSKRIVNINGSMEDDELANDE")
        rows = [
            {
                "idempotency_key": f"deadline:{deadline.pk}:rung:1:{to}",
                "to": to,
                "template": catalogue.DEADLINE_ESCALATION,
                "context": {
                    "kind": deadline.kind,
                    "due_at": deadline.due_at.isoformat(),
                    "level": 1,
                },
                "process_id": deadline.process_id,
                "deadline_id": deadline.pk,
                "organisation_id": w.social.pk,
                "created_at": timezone.now(),
            }
            for to in ("ksa1@example.se", "ksa2@example.se")
        ]
        with transaction.atomic():
            outbox_enqueue_many(emails=rows, schedule=False)
            outbox_enqueue_many(emails=rows, schedule=False)  # again: nothing new
        assert webhooks_deliver_pending() == 1

    (event,) = receiver.events()
    assert event["type"] == "deadline.escalation"
    assert event["data"]["deadline_id"] == deadline.pk and event["data"]["level"] == 1
    assert "ksa1" not in json.dumps(event)


def test_a_delivery_whose_sender_died_is_taken_over_after_the_lease(world, receiver, settings):
    w = world
    subscribe(w.social, receiver.url, event_types=["message"])
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        notified_discharge(w)
        # A sender claims the row and dies before posting it.
        (claimed,) = outbox_claim(now=timezone.now(), model=WebhookDelivery, related=())
        assert webhooks_deliver_pending() == 0  # held by the lease
        clock.shift(dt.timedelta(seconds=settings.NOTIFICATIONS_SENDING_LEASE_SECONDS + 1))
        assert webhooks_deliver_pending() == 1

    claimed.refresh_from_db()
    assert claimed.status == "SENT" and claimed.attempts == 2
    assert len(receiver.requests) == 1


def test_sip_changes_reach_its_parties(world, receiver):
    w = world
    subscribe(w.vc, receiver.url, event_types=["case"])
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        pk = notified_discharge(w)
        sip = sip_start_from_discharge(
            discharge_process=DischargeProcess.objects.get(pk=pk), by=w.vc_client.user
        )
        webhooks_deliver_pending()

    sip_changes = [e for e in receiver.events("case.changed") if e["data"]["process_id"] == sip.pk]
    assert sip_changes and {e["data"]["process_type"] for e in sip_changes} == {"sip"}
    assert "INITIATED" in {e["data"]["kind"] for e in sip_changes}
    assert sip_changes[0]["data"]["links"]["api"].endswith(f"/api/v1/sips/{sip.pk}")
