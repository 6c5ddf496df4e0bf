"""API ingest benchmark on PostgreSQL (run by bench/run_api_ingest.sh).

Admissions ingested per second through ``POST /api/v1/adt/admit`` (Django's test
client: URL routing, middleware, bearer-key authentication, scope, rate limit, the
Pydantic schema, the idempotency row, the flow's start node, the access log) beside
the same start called directly (``api.flowrun.discharge_start``: the flow's start node
and ``discharge_register``, one transaction per admission, the same service user) in
the same run. The two are timed in alternating rounds so that a drift of the machine
or of the database falls on both. Each admission is a new person of the register
(no open discharge), so every one does the whole work.

Writes bench/API.md. Not a test: nothing asserts beyond each admission succeeding.
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TARGET = 0.5


def people(count: int):
    """``count`` new people of the register with valid (test-series) numbers."""
    from coordination.models import Individual
    from coordination.personnummer import make_test_number

    start = dt.date(1930, 1, 1)
    rows = [
        Individual(
            personal_identity_number=make_test_number(
                start + dt.timedelta(days=i // 20), 980 + i % 20
            ),
            given_name="Bench",
            family_name=f"Person {i}",
        )
        for i in range(count)
    ]
    Individual.objects.bulk_create(rows, batch_size=2000)
    return list(Individual.objects.filter(given_name="Bench").order_by("pk"))


def world():
    from api.models import Scope
    from api.services import api_client_create
    from coordination import demo
    from coordination.models import Organisation

    demo.load_registry()
    ward = Organisation.objects.filter(kind="SJUKHUSAVDELNING", is_active=True).order_by("pk")[0]
    issued = api_client_create(
        organisation=ward, name="Bench ADT", scopes=[Scope.DISCHARGE_WRITE, Scope.DISCHARGE_READ]
    )
    return ward, issued


def admit_direct(*, user, individual, ward, admitted_at):
    from django.db import transaction

    from api import flowrun

    with transaction.atomic():
        flowrun.discharge_start(
            user=user,
            individual=individual,
            ward=ward,
            admitted_at=admitted_at,
            care_type="SOMATIC",
            leaves_for_open_compulsory_care=False,
            judgement="MAY_NEED",
            late_registration_reason="",
        )


def admit_api(client, headers, *, event_id, individual, ward, admitted_at):
    body = {
        "event_id": event_id,
        "personal_identity_number": individual.personal_identity_number,
        "ward_id": ward.pk,
        "admitted_at": admitted_at.isoformat(),
        "care_type": "SOMATIC",
        "judgement": "MAY_NEED",
    }
    response = client.post(
        "/api/v1/adt/admit", json.dumps(body), content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admissions", type=int, default=600, help="per path")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=20, help="per path, untimed")
    parser.add_argument("--out", default=str(ROOT / "bench" / "API.md"))
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from workflows.discharge.models import DischargeProcess

    settings.ALLOWED_HOSTS = ["localhost"]
    settings.DEBUG = False
    settings.API_RATE_LIMIT_PER_MINUTE = 0  # off: the limit is not what is measured

    ward, issued = world()
    per_path = args.admissions + args.warmup
    everyone = people(2 * per_path)
    direct_people, api_people = everyone[:per_path], everyone[per_path:]
    user = issued.client.user
    client = Client(HTTP_HOST="localhost")
    headers = {"Authorization": f"Bearer {issued.key}"}
    admitted_at = timezone.now() - dt.timedelta(minutes=30)

    counter = {"event": 0}

    def run_direct(batch):
        started = time.perf_counter()
        for individual in batch:
            admit_direct(user=user, individual=individual, ward=ward, admitted_at=admitted_at)
        return time.perf_counter() - started

    def run_api(batch):
        started = time.perf_counter()
        for individual in batch:
            counter["event"] += 1
            admit_api(
                client,
                headers,
                event_id=f"bench-{counter['event']}",
                individual=individual,
                ward=ward,
                admitted_at=admitted_at,
            )
        return time.perf_counter() - started

    run_direct(direct_people[: args.warmup])
    run_api(api_people[: args.warmup])
    direct_people, api_people = direct_people[args.warmup :], api_people[args.warmup :]

    size = max(1, args.admissions // args.rounds)
    rounds = []
    for i in range(args.rounds):
        batch = slice(i * size, (i + 1) * size if i < args.rounds - 1 else None)
        d, a = direct_people[batch], api_people[batch]
        # Alternate which path goes first.
        if i % 2:
            t_api, t_direct = run_api(a), run_direct(d)
        else:
            t_direct, t_api = run_direct(d), run_api(a)
        rounds.append((len(d) / t_direct, len(a) / t_api, len(d), len(a), t_direct, t_api))

    direct_total = sum(r[2] for r in rounds) / sum(r[4] for r in rounds)
    api_total = sum(r[3] for r in rounds) / sum(r[5] for r in rounds)
    ratio = api_total / direct_total
    ratios = [r[1] / r[0] for r in rounds]
    written = DischargeProcess.objects.filter(individual__given_name="Bench").count()
    assert written == 2 * per_path, written

    lines = [
        "# API ingest benchmark",
        "",
        f"Run by `bench/run_api_ingest.sh` on {dt.date.today():%Y-%m-%d} ({machine()}, "
        "throwaway server with fsync on). Each admission registers a new person's "
        "discharge in its own transaction.",
        "",
        "- **API**: `POST /api/v1/adt/admit` through Django's test client: middleware, "
        "bearer-key authentication, scope, request schema, the idempotency row, the "
        "flow's start node with `discharge_register`, the access-log row, the JSON answer "
        "(the rate limit is off; it is one cache increment).",
        "- **Direct**: `api.flowrun.discharge_start` (the flow's start node with "
        "`discharge_register`) in a transaction, the same service user, the same run.",
        "",
        f"{args.admissions:,} admissions per path after {args.warmup} untimed ones, in "
        f"{args.rounds} alternating rounds; {written:,} discharges written in all. "
        f"Target (issue #17): the API at least {TARGET:.0%} of direct.",
        "",
        "| path | admissions | seconds | admissions/s |",
        "|---|---|---|---|",
        f"| direct | {sum(r[2] for r in rounds):,} | {sum(r[4] for r in rounds):.1f} "
        f"| {direct_total:.0f} |",
        f"| API | {sum(r[3] for r in rounds):,} | {sum(r[5] for r in rounds):.1f} "
        f"| {api_total:.0f} |",
        "",
        f"**API / direct: {ratio:.0%}** (rounds: "
        + ", ".join(f"{r:.0%}" for r in ratios)
        + f"; median {statistics.median(ratios):.0%}) – target "
        + ("met." if ratio >= TARGET else "NOT met."),
        "",
        "What the API adds per admission: the authentication lookup of the key, the "
        "idempotency row (`ApiEvent`, written and updated with the result), the access-log "
        "row, and parsing and rendering JSON. Everything the case itself costs (the flow's "
        "process and tasks, the deadline, the events) is the same in both columns.",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    import common  # noqa: PLC0415 (bench/common.py, after Django is set up)

    common.write_summary(
        "api_ingest",
        [
            {
                "what": "API ingest (POST /api/v1/adt/admit)",
                "project": f"{api_total:.0f} admissions/s",
                "raw": f"{direct_total:.0f}/s (the same start called directly)",
                "ratio": round(ratio, 2),
                "target": f"≥ {TARGET}× direct (issue #17)",
                "met": ratio >= TARGET,
            }
        ],
    )


if __name__ == "__main__":
    main()
