"""Prometheus metrics at ``/metrics`` (prometheus-client).

Two kinds: request latency, measured in this process by ``RequestLatencyMiddleware``
(labelled by URL *pattern*, never by path, so no id or token reaches a label); and the
state of the system, read from the database at scrape time by ``StateCollector`` (the
sweep's lag and duration, beat's heartbeat, the outbox backlog, failures and oldest
pending age, open and overdue deadlines per kind). Every number is a count or an age:
no personal data.

Access: a request with ``Authorization: Bearer <METRICS_TOKEN>``, or from an address in
``METRICS_ALLOWED_NETWORKS``; with neither configured ``/metrics`` answers 404 to
everyone. Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (an empty
directory, see prometheus-client's multiprocess mode) so the latency histogram adds up
over all of them.
"""

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from notifications.selectors import outbox_backlog
from workflows.models import Heartbeat
from workflows.selectors import deadline_counts_by_kind, heartbeats

logger = logging.getLogger(__name__)

LATENCY = Histogram(
    "kardborre_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestLatencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.route or match.view_name) if match is not None else "unmatched"
        LATENCY.labels(
            route=route[:100],
            method=request.method if request.method in _METHODS else "OTHER",
            status=f"{response.status_code // 100}xx",
        ).observe(time.perf_counter() - started)
        return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class StateCollector:
    """Gauges read from the database at each scrape."""

    def collect(self):

        now = timezone.now()
        beats = heartbeats(now=now)
        sweep = beats[Heartbeat.Name.SWEEP]
        yield _gauge(
            "kardborre_sweep_lag_seconds",
            "Seconds since the deadline sweep last finished (absent: never).",
            sweep["age"],
        )
        yield _gauge(
            "kardborre_sweep_last_finished_timestamp_seconds",
            "When the deadline sweep last finished (Unix time).",
            sweep["row"].at.timestamp() if sweep["row"] else None,
        )
        yield _gauge(
            "kardborre_sweep_duration_seconds",
            "How long the last finished deadline sweep took.",
            sweep["row"].duration_seconds if sweep["row"] else None,
        )
        yield _gauge(
            "kardborre_beat_heartbeat_age_seconds",
            "Seconds since Celery beat last wrote its heartbeat (absent: never).",
            beats[Heartbeat.Name.BEAT]["age"],
        )
        backlog = outbox_backlog(now=now)
        emails = GaugeMetricFamily(
            "kardborre_outbox_emails", "Outbox rows by delivery status.", labels=["status"]
        )
        for status, count in backlog["by_status"].items():
            emails.add_metric([status], count)
        yield emails
        yield _gauge("kardborre_outbox_backlog", "Outbox rows not yet sent.", backlog["backlog"])
        yield _gauge(
            "kardborre_outbox_failed", "Outbox rows given up on (FAILED).", backlog["failed"]
        )
        yield _gauge(
            "kardborre_outbox_retrying",
            "Outbox rows waiting for a retry after a failed attempt.",
            backlog["retrying"],
        )
        yield _gauge(
            "kardborre_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row not yet sent (0: none).",
            backlog["oldest_pending_age"] or 0,
        )
        counts = deadline_counts_by_kind(now=now)
        open_ = GaugeMetricFamily(
            "kardborre_deadlines_open", "Open deadlines by kind.", labels=["kind"]
        )
        overdue = GaugeMetricFamily(
            "kardborre_deadlines_overdue", "Open deadlines past due, by kind.", labels=["kind"]
        )
        for kind, (n_open, n_overdue) in sorted(counts.items()):
            open_.add_metric([kind], n_open)
            overdue.add_metric([kind], n_overdue)
        yield open_
        yield overdue


def _gauge(name, documentation, value):
    gauge = GaugeMetricFamily(name, documentation)
    if value is not None:
        gauge.add_metric([], value)
    return gauge


def registry() -> CollectorRegistry:
    """The latency histogram (of this process, or of all when multiprocess) + state."""

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    combined = CollectorRegistry(auto_describe=False)

    class _Base:
        def collect(self):
            yield from base.collect()

    combined.register(_Base())
    combined.register(StateCollector())
    return combined


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if (
        token
        and header.startswith("Bearer ")
        and hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    ):
        return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        for network in networks:
            if address in ipaddress.ip_network(network, strict=False):
                return True
    return False


@never_cache
@require_safe
def metrics(request):
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        raise Http404
    if not allowed(request):
        response = HttpResponse("forbidden\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
