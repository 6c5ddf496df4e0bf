"""A whole discharge driven only through the API, heard by the kommun's system through
its webhooks: a real HTTP receiver in a thread gets, for the kommun's subscription,
each expected event once, in the order the steps happened, signed with the
subscription's secret, with ids, kinds and times only (no personal data)."""

import datetime as dt
import json

import pytest
import time_machine

from api.models import WebhookDelivery
from api.webhooks import signature_verify, webhooks_deliver_pending
from workflows.discharge.models import DischargeProcess

from .conftest import admit_body, local
from .test_webhooks import receiver, subscribe  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_discharge_through_the_api_heard_by_the_kommuns_receiver(world, receiver):  # noqa: F811
    w = world
    subscription = subscribe(w.social, receiver.url, client=w.social_client)
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False) as clock:
        # The ward's system admits: the kommun is not a party yet and hears nothing.
        response = w.ward_api.post("/api/v1/adt/admit", admit_body(w))
        assert response.status_code == 201, response.json()
        pk = response.json()["discharge_id"]
        webhooks_deliver_pending()
        assert receiver.requests == []

        # The ward's system sends the admission notice to the kommun and the vårdcentral.
        clock.move_to(local(2022, 11, 14, 10, 0))
        response = w.ward_api.post(
            f"/api/v1/discharges/{pk}/admission-notice",
            {
                "socialtjanst_id": w.social.pk,
                "vardcentral_id": w.vc.pk,
                "estimated_discharge_date": "2022-11-18",
            },
        )
        assert response.status_code == 200, response.json()
        webhooks_deliver_pending()
        after_notice = len(receiver.requests)

        # The kommun's system follows the link of the notice and acknowledges it.
        (notice,) = receiver.events("message.admission_notice")
        link = notice["data"]["links"]["api"]
        assert w.social_api.get(link[link.index("/api/") :]).status_code == 200
        clock.move_to(local(2022, 11, 14, 11, 0))
        for api, role in ((w.social_api, "SOCIALTJANST"), (w.vc_api, "VARDCENTRAL")):
            response = api.post(
                f"/api/v1/discharges/{pk}/units/{role}/answer", {"answer": "ACKNOWLEDGED"}
            )
            assert response.status_code == 200, response.json()
        webhooks_deliver_pending()
        after_ack = len(receiver.requests)

        # Utskrivningsklar, its acknowledgement by the vårdcentral, the discharge.
        clock.move_to(local(2022, 11, 17, 9, 0))
        response = w.ward_api.post(f"/api/v1/discharges/{pk}/ready-notice", {})
        assert response.status_code == 200, response.json()
        webhooks_deliver_pending()
        after_ready = len(receiver.requests)
        clock.move_to(local(2022, 11, 17, 10, 0))
        response = w.vc_api.post(f"/api/v1/discharges/{pk}/ready-notice/acknowledge")
        assert response.status_code == 200, response.json()
        webhooks_deliver_pending()
        clock.move_to(local(2022, 11, 18, 10, 0))
        response = w.ward_api.post(
            "/api/v1/adt/discharge",
            {
                "event_id": "adt-2",
                "personal_identity_number": w.individual.personal_identity_number,
                "discharged_at": local(2022, 11, 18, 9, 0).isoformat(),
                "information_sent_at": local(2022, 11, 18, 9, 0).isoformat(),
            },
        )
        assert response.status_code == 200, response.json()
        assert response.json()["stage"] == "DISCHARGED"
        webhooks_deliver_pending()
        # Later runs send nothing again.
        clock.shift(dt.timedelta(hours=2))
        assert webhooks_deliver_pending() == 0

    assert DischargeProcess.objects.get(pk=pk).stage == "DISCHARGED"
    events = receiver.events()
    # Each step's events, in the order the steps happened; the kommun's own answer and
    # the vårdcentral's are both changes of a case it takes part in.
    assert [(e["type"], e["data"]["kind"]) for e in events] == [
        ("message.admission_notice", "admission_notice"),
        ("case.changed", "UNIT_ANSWERED"),
        ("case.changed", "UNIT_ANSWERED"),
        ("case.changed", "READY_NOTICE_ISSUED"),
        ("message.ready_notice", "ready_notice"),
        ("case.changed", "READY_NOTICE_ACKNOWLEDGED"),
        ("case.changed", "DISCHARGED"),
        ("message.discharged", "discharged"),
    ]
    assert (after_notice, after_ack, after_ready) == (1, 3, 5)
    created = [e["created_at"] for e in events]
    assert created == sorted(created)
    assert [e["data"]["to_stage"] for e in events if e["type"] == "case.changed"] == [
        None,
        None,
        "READY",
        None,
        "DISCHARGED",
    ]
    # None doubled: one request per event, each event id once.
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)) == len(receiver.requests)
    rows = WebhookDelivery.objects.filter(subscription=subscription)
    assert rows.count() == len(events)
    assert set(rows.values_list("status", "attempts")) == {(WebhookDelivery.Status.SENT, 1)}

    pnr = w.individual.personal_identity_number
    personal = (
        pnr,
        pnr.replace("-", ""),
        pnr[2:],
        w.individual.given_name,
        w.individual.family_name,
    )
    for request, event in zip(receiver.requests, events, strict=True):
        # Signed with the kommun's secret, for the kommun, about this case.
        headers = request["headers"]
        assert headers["Kardborre-Event-Id"] == event["id"]
        header = headers["Kardborre-Signature"]
        # Checked as the receiver does on arrival (the test's clock was travelling).
        sent_at = int(header.split(",")[0].removeprefix("t="))
        assert signature_verify(
            secret=subscription.secret, header=header, body=request["body"], now=sent_at
        )
        assert not signature_verify(
            secret="whsec_other", header=header, body=request["body"], now=sent_at
        )
        assert event["organisation_id"] == w.social.pk
        assert event["data"]["process_id"] == pk
        body = request["body"].decode()
        for value in personal:
            assert value not in body
        assert json.loads(body) == event
