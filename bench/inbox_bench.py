"""Task queue and inbox benchmark: viewflow's list pages (``workflows/routing.py``) with
10,000 tasks, against the same SQL replayed raw, same run.

1. One discharge registered through the start view (the template rows), then cloned with
   SQL (``generate_series``): N cases with their admission-notice task in the ward's
   queue (NEW) and N more whose task the nurse has taken (ASSIGNED, her inbox).
2. Project: GET /workflow/queue/ and /workflow/inbox/ through Django's test client
   (middleware, session, queries, template), as the ward nurse; p95 over the runs and
   the number of queries per page.
3. Raw: the SQL statements one page view ran, replayed on a cursor (no ORM, no
   template); p95 over the same number of runs.

Writes bench/INBOX.md and bench/out/inbox.json. Not a test: nothing asserts.
"""

import argparse
import datetime as dt
import time
from pathlib import Path

import common
from common import ROOT, percentile, sql

VERBOSE = False  # print each statement of a page view


def world():
    from django.contrib.auth import get_user_model

    from coordination.models import Area, Membership, Organisation

    kommun = Area.objects.create(name="Benchstad", kind=Area.Kind.KOMMUN)
    district = Area.objects.create(
        name="Benchdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=kommun
    )
    ward = Organisation.objects.create(
        name="Avdelning bench",
        kind=Organisation.Kind.SJUKHUSAVDELNING,
        area=district,
        huvudman="REGION",
        functional_mailbox="avd@example.se",
    )
    other = Organisation.objects.create(
        name="Avdelning annan",
        kind=Organisation.Kind.SJUKHUSAVDELNING,
        area=district,
        huvudman="REGION",
    )
    user = get_user_model().objects.create(username="nurse", first_name="Sara", last_name="Lind")
    Membership.objects.create(user=user, organisation=ward, role="SJUKSKOTERSKA")
    return ward, other, user


def template_case(ward, user):
    """One discharge through the start view; its admission-notice task is in the queue."""
    from django.test import Client
    from django.urls import get_resolver
    from django.utils import timezone

    from coordination.models import Individual
    from coordination.personnummer import make_test_number
    from workflows.discharge.flows import DischargeFlow

    get_resolver().url_patterns  # noqa: B018 (node URLs are registered on first load)
    person = Individual.objects.create(
        personal_identity_number=make_test_number(dt.date(1940, 1, 1), 123),
        given_name="Mall",
        family_name="Person",
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    response = client.post(
        DischargeFlow.start.reverse("execute"),
        {
            "personal_identity_number": person.personal_identity_number,
            "ward": ward.pk,
            "admitted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "care_type": "SOMATIC",
            "judgement": "MAY_NEED",
        },
    )
    assert response.status_code == 302, response
    return client


def clone(tag: str, count: int, status: str, owner_id, org_id: int):
    """``count`` copies of the template case (process, discharge, open task)."""
    from viewflow.workflow.models import Process, Task

    from coordination.models import Individual
    from workflows.discharge.models import DischargeProcess

    tmpl = sql(
        f"SELECT process_id, id FROM {Task._meta.db_table} "
        "WHERE flow_task_type = 'HUMAN' AND status = 'NEW' ORDER BY id LIMIT 1"
    )[0]
    process_id, task_id = tmpl

    def copy(model, overrides, source_alias, where):
        columns = [
            f.column
            for f in model._meta.local_concrete_fields
            if not (f.primary_key and not f.remote_field)
        ]
        values = [overrides.get(c, f"{source_alias}.{c}") for c in columns]
        return ", ".join(columns), ", ".join(values), where

    first_individual = sql(
        f"INSERT INTO {Individual._meta.db_table} (personal_identity_number, given_name, "
        "family_name, address, email, phone, protected_identity, created_at) "
        "SELECT %s || lpad(g::text, 10, '0'), 'Bench', 'Person ' || g, '', '', '', false, now() "
        "FROM generate_series(1, %s) g RETURNING id",
        [tag, count],
    )
    individual_ids = sorted(r[0] for r in first_individual)
    cols, vals, _ = copy(Process, {"created": "now() - g * interval '1 second'"}, "p", "")
    new_ids = sorted(
        r[0]
        for r in sql(
            f"INSERT INTO {Process._meta.db_table} ({cols}) SELECT {vals} "
            f"FROM {Process._meta.db_table} p, generate_series(1, %s) g WHERE p.id = %s "
            "RETURNING id",
            [count, process_id],
        )
    )
    table = DischargeProcess._meta.db_table
    columns = [f.column for f in DischargeProcess._meta.local_concrete_fields]
    values = [
        {"process_ptr_id": "m.new_id", "individual_id": "m.individual_id"}.get(c, f"d.{c}")
        for c in columns
    ]
    sql(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {table} d, unnest(%s::int[], %s::int[]) AS m(new_id, individual_id) "
        "WHERE d.process_ptr_id = %s",
        [new_ids, individual_ids, process_id],
    )
    task_table = Task._meta.db_table
    columns = [
        f.column
        for f in Task._meta.local_concrete_fields
        if not (f.primary_key and not f.remote_field)
    ]
    overrides = {
        "process_id": "m.new_id",
        "status": f"'{status}'",
        "owner_id": "NULL" if owner_id is None else str(owner_id),
        "owner_permission_obj_pk": f"'{org_id}'",
        "created": "now() - m.n * interval '1 second'",
        "assigned": "NULL" if owner_id is None else "now()",
    }
    values = [overrides.get(c, f"t.{c}") for c in columns]
    sql(
        f"INSERT INTO {task_table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {task_table} t, unnest(%s::int[]) WITH ORDINALITY AS m(new_id, n) "
        "WHERE t.id = %s",
        [new_ids, task_id],
    )


def page(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if VERBOSE:
        for q in queries.captured_queries:
            print("     ", q["sql"][:160], flush=True)
    statements = [q["sql"] for q in queries.captured_queries]
    replay = []
    for statement in statements:
        # A server-side cursor (``iterator()``) is replayed as its plain SELECT.
        if statement.startswith("DECLARE "):
            statement = statement.split(" CURSOR WITH HOLD FOR ", 1)[-1]
            statement = statement.split(" CURSOR FOR ", 1)[-1]
        replay.append(statement)
    raw_times = []
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # psycopg itself, no Django
        for _ in range(runs + 3):
            started = time.perf_counter()
            for statement in replay:
                cursor.execute(statement)
                if cursor.description:
                    cursor.fetchall()
            raw_times.append((time.perf_counter() - started) * 1000)
    raw_times = raw_times[3:]
    rows = response.content.decode().count("/utskrivning/")
    return {
        "p95": percentile(times, 95),
        "median": percentile(times, 50),
        "queries": len(statements),
        "raw_p95": percentile(raw_times, 95),
        "raw_median": percentile(raw_times, 50),
        "links": rows,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in each list")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench" / "INBOX.md"))
    args = parser.parse_args()
    common.setup_django(EMAIL_URL="dummymail://")
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["localhost"]
    ward, other, user = world()
    client = template_case(ward, user)
    started = time.perf_counter()
    clone("BQ", args.tasks, "NEW", None, ward.pk)
    clone("BI", args.tasks, "ASSIGNED", user.pk, ward.pk)
    clone("BO", args.tasks, "NEW", None, other.pk)  # another ward's queue: not listed
    common.vacuum()
    fill_seconds = time.perf_counter() - started
    print(f"{3 * args.tasks:,} tasks cloned in {fill_seconds:.1f} s", flush=True)
    results = {}
    for label, url in (("queue", "/workflow/queue/"), ("inbox", "/workflow/inbox/")):
        results[label] = page(client, url, args.runs)
        print(f"  {label}: {results[label]}", flush=True)
    write(Path(args.out), args, fill_seconds, results)


def write(path: Path, args, fill_seconds: float, results: dict):
    info = common.machine()
    lines = [
        "# Task queue and inbox benchmark",
        "",
        f"Run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/run_inbox.sh` on a",
        f"{info['nproc']}-core {info['cpu']} shared with other work (load {info['load']}),",
        f"PostgreSQL {info['postgresql']}. Absolute times vary with the load; the raw",
        "replay runs in the same process right after, on the same data.",
        "",
        f"Data: {args.tasks:,} tasks in the ward's queue, {args.tasks:,} in the nurse's inbox,",
        f"{args.tasks:,} in another ward's queue (cloned from one registered case with SQL in",
        f"{fill_seconds:.1f} s). {args.runs} page views each after 3 warm-up views, through",
        "Django's test client (middleware, session, queries, template).",
        "",
        "| Page | median | p95 | queries | raw SQL replay median | raw p95 | project / raw (p95) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label} | {r['median']:.0f} ms | {r['p95']:.0f} ms | {r['queries']} | "
            f"{r['raw_median']:.1f} ms | {r['raw_p95']:.1f} ms | "
            f"{r['p95'] / r['raw_p95']:.1f}× |"
        )
    lines += [
        "",
        "Target (issue #15): p95 < 100 ms and ≤ 20 queries per page whatever the number of",
        "rows. Raw: the statements one page view ran (captured), executed again on a",
        "cursor and fetched, without ORM, view or template.",
        "",
    ]
    path.write_text("\n".join(lines))
    common.write_summary(
        "inbox",
        [
            {
                "what": f"task {label}, {args.tasks:,} tasks",
                "project": f"p95 {r['p95']:.0f} ms, {r['queries']} queries",
                "raw": f"p95 {r['raw_p95']:.1f} ms",
                "ratio": round(r["p95"] / r["raw_p95"], 2),  # time: page / raw
                "target": "p95 < 100 ms, ≤ 20 queries",
                "met": r["p95"] < 100 and r["queries"] <= 20,
            }
            for label, r in results.items()
        ],
    )


if __name__ == "__main__":
    main()
