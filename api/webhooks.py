"""Outbound webhooks: an organisation's systems hear of its messages, deadlines and cases.

Three sources, each turned into rows of the webhook outbox (``WebhookDelivery``) in the
transaction that wrote the event, one row per (subscription, event):

* ``message.<name>``: an LUS message written to the outbox for a unit (admission
  notice, ready-for-discharge notice and its revocation, withdrawal, …), announced by
  ``notifications.events``;
* ``deadline.reminder`` / ``deadline.escalation`` / ``deadline.breach``: the sweep's
  rungs for the organisation, announced the same way by its bulk writes;
* ``case.changed``: an event recorded in a discharge or SIP the organisation is party to;
* ``deviation.reported`` / ``deviation.answered``: a deviation the organisation reported
  or received was sent, or answered (both parties hear of both).

Payloads carry ids, kinds, times and links only: no names, no personnummer, no free
text (the same rule as email). Delivery reuses the email outbox's claim, lease,
backoff and give-up (``notifications.services.outbox_*``); only the HTTP POST is here.

Signing: ``Kardborre-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
with the subscription's secret, and ``Kardborre-Event-Id``. A receiver verifies with
``signature_verify`` (README, "Webhooks"):

>>> header = signature_header(secret="s3cret", body=b'{"a":1}', timestamp=1700000000)
>>> header
't=1700000000,v1=...'
>>> signature_verify(secret="s3cret", header=header, body=b'{"a":1}', now=1700000100)
True
>>> signature_verify(secret="s3cret", header=header, body=b'{"a":1}', now=1700000400)
False
"""

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process

from coordination.models import Organisation, ProcessParty
from notifications import catalogue, events, links
from notifications.services import (
    outbox_claim,
    outbox_mark_failed,
    outbox_mark_sent,
    outbox_release,
)
from workflows.deviations.models import DeviationEvent
from workflows.discharge.models import DischargeEvent, DischargeProcess
from workflows.models import DeadlineEvent
from workflows.sip.models import SipEvent, SipProcess

from .models import ApiClient, WebhookDelivery, WebhookEventType, WebhookSubscription

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "Kardborre-Signature"
EVENT_ID_HEADER = "Kardborre-Event-Id"
#: A receiver refuses a signature older (or newer) than this: a replayed request.
REPLAY_WINDOW_SECONDS = 300

#: Messages to units whose arrival a system is told of, by email template.
MESSAGE_TEMPLATES = {
    "discharge/emails/admission_notice": "message.admission_notice",
    "discharge/emails/ready_notice": "message.ready_notice",
    "discharge/emails/ready_notice_revoked": "message.ready_notice_revoked",
    "discharge/emails/withdrawn": "message.withdrawn",
    "discharge/emails/discharged": "message.discharged",
    "discharge/emails/estimated_date_changed": "message.estimated_date_changed",
}
DEADLINE_TEMPLATES = {
    catalogue.DEADLINE_REMINDER: "deadline.reminder",
    catalogue.DEADLINE_ESCALATION: "deadline.escalation",
    catalogue.DEADLINE_BREACH: "deadline.breach",
}
DEADLINE_EVENTS = {
    DeadlineEvent.Kind.REMINDED: "deadline.reminder",
    DeadlineEvent.Kind.ESCALATED: "deadline.escalation",
    DeadlineEvent.Kind.BREACHED: "deadline.breach",
}


# --- Signing ------------------------------------------------------------------------


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    """The ``Kardborre-Signature`` value of ``body`` sent at ``timestamp``."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_verify(*, secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """What a receiver does: the signature matches and is at most five minutes off."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > REPLAY_WINDOW_SECONDS:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp)
    return hmac.compare_digest(expected.split("v1=", 1)[1], given)


# --- Subscriptions ------------------------------------------------------------------


def private_addresses_allowed() -> bool:
    """A receiver on this machine or the internal network: only while ``DEBUG`` or
    with ``KARDBORRE_WEBHOOK_ALLOW_PRIVATE`` (the tests' local receiver)."""
    return bool(settings.DEBUG or getattr(settings, "KARDBORRE_WEBHOOK_ALLOW_PRIVATE", False))


def _forbidden_address(address: str) -> bool:
    """Loopback, private, link-local (cloud metadata), multicast, reserved or
    unspecified: an address a subscriber could use to reach inside."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an address literal is itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def url_check(url: str, *, resolve_required: bool = False) -> None:
    """HTTPS only, to a public address.

    Plain HTTP, and a host that is or resolves to a loopback, private, link-local or
    otherwise internal address, only while private addresses are allowed
    (``private_addresses_allowed``): a subscriber must not make the server post into
    its own network. The host is resolved when the subscription is made and again at
    every delivery (``resolve_required``: then a name that does not resolve fails the
    attempt; when subscribing it may not resolve yet).
    """
    allow_private = private_addresses_allowed()
    parts = urlsplit(url or "")
    scheme = parts.scheme.lower()
    if not (scheme == "https" or (scheme == "http" and allow_private)):
        raise ValidationError({"url": _("The address must start with https://.")})
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or parts.username or parts.password:
        raise ValidationError({"url": _("The address must name a host, without a password.")})
    if allow_private:
        return
    refused = ValidationError(
        {"url": _("The address points into an internal network; use a public address.")}
    )
    if host.rstrip(".").lower() == "localhost" or host.lower().endswith(".localhost"):
        raise refused
    try:
        addresses = _resolve(host, port or (443 if scheme == "https" else 80))
    except (OSError, UnicodeError):
        if resolve_required:
            raise ValidationError({"url": _("The host name does not resolve.")}) from None
        return
    if any(_forbidden_address(address) for address in addresses):
        raise refused
    # At delivery the connection checks again what it connects to (``_PinnedConnection``).


def _event_types_check(event_types) -> list[str]:
    event_types = sorted(set(event_types or []))
    unknown = [value for value in event_types if value not in WebhookEventType.values]
    if unknown:
        raise ValidationError(
            {"event_types": _("Unknown event type: %(type)s") % {"type": unknown[0]}}
        )
    if not event_types:
        raise ValidationError({"event_types": _("Choose at least one event type.")})
    return event_types


@transaction.atomic
def webhook_subscription_create(
    *,
    organisation: Organisation,
    url: str,
    event_types,
    client: ApiClient | None = None,
    by=None,
) -> WebhookSubscription:
    """Subscribe a system of ``organisation``; the returned row's ``secret`` is shown
    once to whoever set it up."""
    url_check(url)
    event_types = _event_types_check(event_types)
    if client is not None and client.organisation_id != organisation.pk:
        raise ValidationError({"client": _("The API client acts for another organisation.")})
    if client is not None and client.is_revoked:
        raise ValidationError({"client": _("The API client is revoked.")})
    return WebhookSubscription.objects.create(
        organisation=organisation,
        client=client,
        url=url,
        event_types=event_types,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        created_by=by if by is not None and by.is_authenticated else None,
    )


@transaction.atomic
def webhook_subscription_revoke(*, subscription: WebhookSubscription, by=None) -> None:
    """Stop the subscription: nothing new is written for it and what is pending is not
    sent (marked failed at its next attempt)."""
    WebhookSubscription.objects.filter(pk=subscription.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(),
        revoked_by=by if by is not None and by.is_authenticated else None,
    )
    subscribers_changed()


# --- Enqueue ------------------------------------------------------------------------


class _SubscribersMemo:
    """Which organisations have an active subscription of which categories, read once
    per transaction: every case event, outbox row and deadline rung asks, and most
    organisations subscribe to nothing. Alive while its ``on_commit`` marker is pending
    on the connection: gone at commit, at rollback, and at the rollback of a savepoint
    it was read in."""

    def __init__(self, categories: dict[int, set]):
        self.categories = categories

    def __call__(self):  # the on_commit marker
        self.categories = {}


_MEMO = "_kardborre_webhook_subscribers"


def _subscribers() -> dict[int, set]:
    """Organisation id → the categories it has an active subscription of."""
    memo = getattr(connection, _MEMO, None)
    if memo is not None and any(entry[1] is memo for entry in connection.run_on_commit):
        return memo.categories
    categories: dict[int, set] = {}
    for organisation_id, event_types in (
        WebhookSubscription.objects.filter(revoked_at__isnull=True)
        .order_by()
        .values_list("organisation_id", "event_types")
    ):
        categories.setdefault(organisation_id, set()).update(event_types)
    if connection.in_atomic_block:
        memo = _SubscribersMemo(categories)
        setattr(connection, _MEMO, memo)
        transaction.on_commit(memo)
    return categories


def subscribers_changed(**kwargs) -> None:
    """A subscription was written in this transaction: read them again."""
    setattr(connection, _MEMO, None)


def _subscribing(category: str) -> set[int]:
    return {pk for pk, categories in _subscribers().items() if category in categories}


def _active_subscriptions(organisation_ids, category: str) -> dict[int, list]:
    subscribing = _subscribing(category)
    if not subscribing:
        return {}
    if isinstance(organisation_ids, models.QuerySet):
        organisation_ids = set(organisation_ids)
    organisation_ids = set(organisation_ids) & subscribing
    if not organisation_ids:
        return {}
    by_organisation: dict[int, list] = {}
    rows = WebhookSubscription.objects.filter(
        organisation_id__in=organisation_ids, revoked_at__isnull=True
    )
    for subscription in rows:
        if category in subscription.event_types:
            by_organisation.setdefault(subscription.organisation_id, []).append(subscription)
    return by_organisation


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return value.astimezone(dt.UTC).isoformat()


def _process_links(process_ids) -> dict[int, dict]:
    """The case page of each process, and its API resource where it has one."""
    process_ids = {pk for pk in process_ids if pk is not None}
    if not process_ids:
        return {}
    discharges = set(
        DischargeProcess.objects.filter(pk__in=process_ids).values_list("pk", flat=True)
    )
    sips = set(SipProcess.objects.filter(pk__in=process_ids).values_list("pk", flat=True))
    result = {}
    for process in Process.objects.filter(pk__in=process_ids):
        result[process.pk] = {"case": links.case_url(process)}
        if process.pk in discharges:
            result[process.pk]["api"] = links.absolute_url(f"/api/v1/discharges/{process.pk}")
        elif process.pk in sips:
            result[process.pk]["api"] = links.absolute_url(f"/api/v1/sips/{process.pk}")
    return result


def webhook_events_enqueue(rows: list[tuple[WebhookSubscription, str, str, dict]]) -> int:
    """Write one delivery per (subscription, event key); keys already written are
    skipped. Each row is ``(subscription, key, event_type, payload)``. Runs in the
    caller's transaction; delivery is queued after commit. The count written."""
    if not rows:
        return 0
    now = timezone.now()
    deliveries = []
    for subscription, key, event_type, payload in rows:
        event_id = str(uuid.uuid4())
        body = {
            "id": event_id,
            "type": event_type,
            "created_at": _iso(now),
            "organisation_id": subscription.organisation_id,
            "data": payload,
        }
        deliveries.append(
            WebhookDelivery(
                subscription=subscription,
                idempotency_key=f"{subscription.pk}:{key}"[:340],
                event_id=event_id,
                event_type=event_type,
                payload=json.loads(json.dumps(body, cls=DjangoJSONEncoder)),
                created_at=now,
                next_attempt_at=now,
            )
        )
    keys = [delivery.idempotency_key for delivery in deliveries]
    existing = set(
        WebhookDelivery.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [delivery for delivery in deliveries if delivery.idempotency_key not in existing]
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        transaction.on_commit(webhook_schedule_delivery)
    return len(new)


def on_organisation_messages(messages: list[events.OrganisationMessage]) -> None:
    """Listener of ``notifications.events``: the outbox wrote messages for units."""
    wanted = [
        message
        for message in messages
        if message.template in MESSAGE_TEMPLATES or message.template in DEADLINE_TEMPLATES
    ]
    if not wanted:
        return
    messages_subs = _active_subscriptions(
        [m.organisation_id for m in wanted if m.template in MESSAGE_TEMPLATES],
        WebhookEventType.MESSAGE,
    )
    deadline_subs = _active_subscriptions(
        [m.organisation_id for m in wanted if m.template in DEADLINE_TEMPLATES],
        WebhookEventType.DEADLINE,
    )
    if not messages_subs and not deadline_subs:
        return
    process_links = _process_links(m.process_id for m in wanted)
    rows = []
    for message in wanted:
        if message.template in MESSAGE_TEMPLATES:
            subscriptions = messages_subs.get(message.organisation_id, [])
            event_type = MESSAGE_TEMPLATES[message.template]
            key = f"message:{message.key}"
            data = {
                "kind": event_type.split(".", 1)[1],
                "process_id": message.process_id,
                "sent_at": _iso(message.at),
            }
        else:
            subscriptions = deadline_subs.get(message.organisation_id, [])
            event_type = DEADLINE_TEMPLATES[message.template]
            key, data = _rung_event(
                deadline_id=message.deadline_id,
                kind=message.data.get("kind"),
                due_at=message.data.get("due_at"),
                level=message.data.get("level"),
                process_id=message.process_id,
                at=message.at,
            )
        data["links"] = process_links.get(message.process_id, {})
        for subscription in subscriptions:
            rows.append((subscription, key, event_type, data))
    webhook_events_enqueue(rows)


def _rung_event(*, deadline_id, kind, due_at, level, process_id, at) -> tuple[str, dict]:
    """Key and data of a deadline's rung: one event per rung and organisation, however
    many of its people get the email and whichever way it was announced."""
    data = {
        "deadline_id": deadline_id,
        "deadline_kind": kind,
        "due_at": _iso(due_at),
        "level": level,
        "process_id": process_id,
        "at": _iso(at),
    }
    return f"deadline:{deadline_id}:rung:{level}", data


def on_deadline_rungs(*, events, deadlines) -> None:
    """``workflows.hooks.DEADLINE_RUNGS_TAKEN``: the sweep took rungs; the organisation
    responsible for each deadline hears of them (even when nobody there has an email
    address); those along the chain hear through their emails above."""
    rows = {row.pk: row for row in deadlines}
    taken = [
        (rows[deadline_id], kind, at, level)
        for deadline_id, kind, at, level, _note in events
        if deadline_id in rows and kind in DEADLINE_EVENTS
    ]
    if not taken:
        return
    subscriptions = _active_subscriptions(
        [row.responsible_organisation_id for row, *_ in taken], WebhookEventType.DEADLINE
    )
    if not subscriptions:
        return
    process_links = _process_links(row.process_id for row, *_ in taken)
    written = []
    for row, kind, at, level in taken:
        key, data = _rung_event(
            deadline_id=row.pk,
            kind=row.kind,
            due_at=row.due_at,
            level=level,
            process_id=row.process_id,
            at=at,
        )
        data["links"] = process_links.get(row.process_id, {})
        for subscription in subscriptions.get(row.responsible_organisation_id, []):
            written.append((subscription, key, DEADLINE_EVENTS[kind], data))
    webhook_events_enqueue(written)


#: The event rows of the processes: model → (process of a row, name in the event key).
CASE_EVENTS = {
    DischargeEvent: (lambda event: event.process_id, "discharge-event"),
    SipEvent: (lambda event: event.sip_id, "sip-event"),
}


def on_case_event(sender, instance, created, **kwargs) -> None:
    """``post_save`` of a process's event row (``CASE_EVENTS``): the parties of the case
    hear of it. Kind, stages and time only: an event's note is free text."""
    if not created:
        return
    if not _subscribing(WebhookEventType.CASE):
        return
    process_of, name = CASE_EVENTS[sender]
    process_id = process_of(instance)
    parties = ProcessParty.objects.filter(process_id=process_id).values_list(
        "organisation_id", flat=True
    )
    subscriptions = _active_subscriptions(parties, WebhookEventType.CASE)
    if not subscriptions:
        return
    data = {
        "process_id": process_id,
        "process_type": "discharge" if sender is DischargeEvent else "sip",
        "kind": instance.kind,
        "from_stage": getattr(instance, "from_stage", "") or None,
        "to_stage": getattr(instance, "to_stage", "") or None,
        "at": _iso(instance.at),
        "links": _process_links([process_id]).get(process_id, {}),
    }
    webhook_events_enqueue(
        [
            (subscription, f"case:{name}:{instance.pk}", "case.changed", data)
            for organisation_subscriptions in subscriptions.values()
            for subscription in organisation_subscriptions
        ]
    )


#: Deviation events a party's system hears of.
DEVIATION_EVENTS = {
    DeviationEvent.Kind.REPORTED: "deviation.reported",
    DeviationEvent.Kind.ANSWERED: "deviation.answered",
}


def on_deviation_event(sender, instance, created, **kwargs) -> None:
    """``post_save`` of a ``DeviationEvent``: a deviation was reported or answered. Its
    two parties (the reporting and the receiving organisation) hear of it. Ids,
    category, status and time only: the description and the answer are free text,
    read through ``/api/v1/deviations/{id}`` with the client's key."""
    if not created or instance.kind not in DEVIATION_EVENTS:
        return
    deviation = instance.deviation
    parties = {deviation.reporting_organisation_id, deviation.receiving_organisation_id}
    subscriptions = _active_subscriptions(
        [pk for pk in parties if pk is not None], WebhookEventType.DEVIATION
    )
    if not subscriptions:
        return
    data = {
        "deviation_id": deviation.pk,
        "kind": instance.kind,
        "category": deviation.category,
        "status": instance.to_status,
        "process_id": deviation.process_id,
        "reporting_organisation_id": deviation.reporting_organisation_id,
        "receiving_organisation_id": deviation.receiving_organisation_id,
        "at": _iso(instance.at),
        "links": {
            **_process_links([deviation.process_id]).get(deviation.process_id, {}),
            "deviation": links.absolute_url(f"/api/v1/deviations/{deviation.pk}"),
        },
    }
    webhook_events_enqueue(
        [
            (subscription, f"deviation-event:{instance.pk}", DEVIATION_EVENTS[instance.kind], data)
            for organisation_subscriptions in subscriptions.values()
            for subscription in organisation_subscriptions
        ]
    )


# --- Delivery -----------------------------------------------------------------------


def webhook_schedule_delivery() -> None:
    """Ask a worker to deliver what is due now (the periodic task would anyway)."""
    from .tasks import deliver_pending_webhooks  # here: the tasks module imports this one

    try:
        deliver_pending_webhooks.delay()
    except Exception:
        logger.warning("could not queue webhook delivery; the periodic task will")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt (shown as its 3xx), never followed: it could lead
    the signed event to an address nobody subscribed."""

    def redirect_request(self, *args, **kwargs):
        return None


def _public_addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host`` if every one is public, else a refusal."""
    addresses = _resolve(host, port)
    if not addresses or any(_forbidden_address(address) for address in addresses):
        raise ValidationError(
            {"url": _("The address points into an internal network; use a public address.")}
        )
    return addresses


class _PinnedConnection:
    """Connects to an address that was checked in the same step as it was resolved:
    the name is not resolved a second time (by the socket library) after the check,
    so a name that answers a public address to the check and an internal one to the
    connection (DNS rebinding) cannot lead the POST inside. Through an operator's
    proxy (a CONNECT tunnel) the proxy resolves the name, as before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = self._connect_checked

    def _connect_checked(self, address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source=None):
        if private_addresses_allowed() or self._tunnel_host:
            return socket.create_connection(address, timeout, source)
        host, port = address
        return socket.create_connection((_public_addresses(host, port)[0], port), timeout, source)


class _PinnedHTTPConnection(_PinnedConnection, http.client.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnection, http.client.HTTPSConnection):
    pass  # TLS still checks the certificate against the name (server_hostname)


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PinnedHTTPConnection, req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PinnedHTTPSConnection, req, context=self._context)


_opener = urllib.request.build_opener(_NoRedirect, _PinnedHTTPHandler, _PinnedHTTPSHandler)


def _post(delivery: WebhookDelivery) -> int:
    """POST one delivery; the HTTP status. Raises on a network error or a non-2xx."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    subscription = delivery.subscription
    # The scheme is checked before (https; http only in DEBUG): never file: or custom.
    request = urllib.request.Request(  # noqa: S310
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Kardborre-Webhooks/1",
            EVENT_ID_HEADER: delivery.event_id,
            SIGNATURE_HEADER: signature_header(
                secret=subscription.secret, body=body, timestamp=int(time.time())
            ),
        },
    )
    with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
        return response.status


def _send(delivery: WebhookDelivery) -> bool:
    model = WebhookDelivery
    if not delivery.subscription.is_active:
        delivery.attempts = settings.NOTIFICATIONS_MAX_ATTEMPTS  # no retry
        outbox_mark_failed(delivery, "the subscription is revoked", model=model)
        return False
    try:
        url_check(delivery.subscription.url, resolve_required=True)
        status = _post(delivery)
    except urllib.error.HTTPError as error:  # an answer, but not 2xx
        outbox_mark_failed(
            delivery, f"HTTP {error.code}", {"last_status_code": error.code}, model=model
        )
        return False
    except (OSError, ValidationError, ValueError) as error:  # no answer at all
        outbox_mark_failed(delivery, error, {"last_status_code": None}, model=model)
        return False
    outbox_mark_sent(delivery, {"last_status_code": status}, model=model)
    return True


def _deliver(rows: list[WebhookDelivery]) -> int:
    sent = 0
    remaining = list(rows)
    try:
        while remaining:
            sent += _send(remaining[0])
            remaining.pop(0)
    except BaseException:
        # Stopped from outside (time limit, shutdown): the untried rows are due again.
        try:
            outbox_release(remaining, model=WebhookDelivery)
        except Exception:  # the lease runs out instead
            logger.warning("could not release %s webhook deliveries", len(remaining))
        raise
    return sent


def webhook_deliver(*, delivery_id: int, now=None) -> bool:
    """Deliver one row if it is due and nobody else holds it; True if delivered now."""
    rows = outbox_claim(
        now=now or timezone.now(),
        ids=[delivery_id],
        limit=1,
        model=WebhookDelivery,
        related=("subscription",),
    )
    return bool(rows) and _deliver(rows) == 1


def webhooks_deliver_pending(*, now=None, limit: int | None = None) -> int:
    """Deliver due rows (PENDING, or SENDING with an expired lease); the count delivered.
    What the periodic task runs; retries come back here after their backoff."""
    now = now or timezone.now()
    limit = settings.NOTIFICATIONS_DELIVER_MAX_ROWS if limit is None else limit
    delivered = handled = 0
    while handled < limit:
        rows = outbox_claim(
            now=now,
            limit=min(settings.NOTIFICATIONS_BATCH_SIZE, limit - handled),
            model=WebhookDelivery,
            related=("subscription",),
        )
        if not rows:
            break
        handled += len(rows)
        delivered += _deliver(rows)
    return delivered
