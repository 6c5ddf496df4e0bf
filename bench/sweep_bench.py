"""Deadline sweep and email delivery benchmark on PostgreSQL (run by scripts/bench.sh).

1. Generates a Stockholm-scale dataset with SQL (``generate_series``): the demo
   registry (Stockholm's districts and kommuner, ~110 units, demo staff), cases
   (viewflow processes, five deadlines each) and open deadlines, plus closed history.
2. Times one ``workflows.tasks.deadlines_sweep()`` (lock, re-check, ladder, events,
   outbox rows, commit) with 1k / 10k / 100k deadlines due among 1,000,000 open, and
   10k due among 100,000 open to show that the cost follows what is due.
3. After each sweep, the same rows made due again and exactly the rows the sweep wrote
   (kept in temporary tables) written again in raw SQL, set-based, in the same run
   (``raw_sweep``), then checked row for row (``same_writes``). Each size runs
   ``--repeat`` rounds; the medians are reported. ``--profile PREFIX`` writes a cProfile
   of the first round and the statements with their times.

Email delivery has its own benchmark (bench/delivery_bench.py). Writes bench/SWEEP.md
and bench/out/sweep.json. Not a test: nothing asserts.
"""

import argparse
import datetime as dt
import os
import platform
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import common  # noqa: E402 (bench/common.py, beside this file)

KINDS = [
    "INSKRIVNINGSMEDDELANDE",
    "INSKRIVNING_ACK",
    "FAST_VARDKONTAKT",
    "UTSKRIVNINGSKLAR_ACK",
    "SIP_KALLELSE",
    "DISCHARGE_INFORMATION",
    "INVITATION_RESPONSE",
    "SIP_FOLLOW_UP",
]
PER_CASE = 5
FUTURE = "now() + interval '60 days'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(smtp_port: int):
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    # The rows are made due on the real clock: with office hours a run in the evening
    # would hold every reminder and measure nothing.
    os.environ["KARDBORRE_OFFICE_HOURS"] = "off"
    import django

    django.setup()


def sql(statement, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def load_registry():
    from coordination import demo

    demo.load_registry()
    demo.load_individuals()
    demo.load_users()


def add_open_deadlines(count: int) -> float:
    """``count`` open deadlines, none due, five per new case; seconds taken."""
    started = time.perf_counter()
    cases = count // PER_CASE
    first = sql(
        "INSERT INTO viewflow_process (flow_class, status, created, data) "
        "SELECT 'workflows/bench.NoFlow', 'NEW', now(), '{}'::jsonb "
        "FROM generate_series(1, %s) RETURNING id",
        [cases],
    )
    first_id = min(row[0] for row in first)
    sql(
        f"""
        WITH orgs AS (
            SELECT array_agg(id ORDER BY id) AS a FROM coordination_organisation
            WHERE is_active AND kind <> 'SJUKHUS' AND kind <> 'OTHER'
        )
        INSERT INTO workflows_deadline (
            kind, subject_key, due_at, status, escalation_level, next_action_at,
            created_at, note, process_id, responsible_organisation_id)
        SELECT (%s::text[])[(g %% 8) + 1], '',
               {FUTURE} + (g %% 10000) * interval '1 minute', 'OPEN', 0,
               {FUTURE} + (g %% 10000) * interval '1 minute' - interval '1 day',
               now(), '', %s + g / {PER_CASE},
               orgs.a[((g::bigint * 7919) %% array_length(orgs.a, 1)) + 1]
        FROM generate_series(0, %s - 1) AS g, orgs
        """,
        [KINDS, first_id, cases * PER_CASE],
    )
    return time.perf_counter() - started


def add_closed_deadlines(count: int) -> float:
    """History: met deadlines of the same cases (the table is mostly closed rows)."""
    started = time.perf_counter()
    sql(
        """
        INSERT INTO workflows_deadline (
            kind, subject_key, due_at, status, escalation_level, next_action_at,
            created_at, met_at, note, process_id, responsible_organisation_id)
        SELECT kind, '', due_at - interval '400 days', 'MET', 1, NULL,
               created_at - interval '400 days', due_at - interval '401 days', '',
               process_id, responsible_organisation_id
        FROM workflows_deadline WHERE status = 'OPEN' ORDER BY id LIMIT %s
        """,
        [count],
    )
    return time.perf_counter() - started


def vacuum():
    from django.db import connection

    connection.ensure_connection()
    previous = connection.connection.autocommit
    connection.connection.autocommit = True
    try:
        with connection.connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE workflows_deadline, workflows_deadlineevent, "
                "notifications_outboundemail, viewflow_process"
            )
    finally:
        connection.connection.autocommit = previous


def make_due(count: int, now: dt.datetime) -> list[int]:
    """Make ``count`` open deadlines, spread over the table, due for their next rung.

    Mixed rungs as production sees them (issue #15): 70 % first reminder, 8 % reminder
    at the due time, 20 % escalation, 2 % breach (which drafts a deviation); each row's
    next rung is not yet due. The rung is chosen by the row's position in the sample,
    spread with a multiplier coprime to 100, never by its id (the sample takes ids that
    are multiples of one step, which would put every row in the same bucket).
    """
    from workflows import escalation

    total = sql("SELECT count(*) FROM workflows_deadline WHERE status = 'OPEN'")[0][0]
    step = max(total // count, 1)
    rows = sql(
        "SELECT id, kind FROM workflows_deadline WHERE status = 'OPEN' AND id %% %s = 0 "
        "ORDER BY id LIMIT %s",
        [step, count],
    )
    ids, due_ats, levels, next_ats = [], [], [], []
    for position, (pk, kind) in enumerate(rows):
        bucket = (position * 37) % 100
        level = 0 if bucket < 70 else 1 if bucket < 78 else 2 if bucket < 98 else 3
        next_at = now - dt.timedelta(minutes=pk % 50)
        ids.append(pk)
        levels.append(level)
        next_ats.append(next_at)
        due_ats.append(next_at - escalation.ladder(kind)[level].offset)
    sql(
        "UPDATE workflows_deadline AS d SET due_at = v.due_at, escalation_level = v.level, "
        "next_action_at = v.next_at "
        "FROM unnest(%s::bigint[], %s::timestamptz[], %s::int[], %s::timestamptz[]) "
        "AS v(id, due_at, level, next_at) WHERE d.id = v.id",
        [ids, due_ats, levels, next_ats],
    )
    return ids


def undo_due(ids: list[int]):
    sql(
        f"UPDATE workflows_deadline SET status = 'OPEN', breached_at = NULL, "
        f"escalation_level = 0, due_at = {FUTURE}, "
        f"next_action_at = {FUTURE} - interval '1 day' WHERE id = ANY(%s)",
        [ids],
    )
    sql("DELETE FROM workflows_deadlineevent WHERE kind <> 'OPENED'")
    sql("TRUNCATE notifications_outboundemail")
    # The breaches drafted deviations and made their reporters parties: undo those too.
    sql("DELETE FROM coordination_deviationevent")
    sql("DELETE FROM coordination_deviation WHERE source = 'DEADLINE'")
    sql("DELETE FROM coordination_processparty WHERE reason = 'DEVIATION'")
    vacuum()


def warm_up(now: dt.datetime):
    """One tiny sweep first: imports, connections and caches are not what we measure."""
    from workflows.tasks import deadlines_sweep

    add_open_deadlines(PER_CASE)
    ids = make_due(1, now)
    deadlines_sweep(now=now)
    undo_due(ids)


def time_sweep(
    due: int, now: dt.datetime, profile: str = "", batch_size: int = 0, repeat: int = 1
) -> dict:
    """``repeat`` rounds of the sweep and then the raw side on the same rows (the
    machine is shared: the medians are reported, every round is kept in the JSON)."""
    rounds = [sweep_round(due, now, profile if i == 0 else "", batch_size) for i in range(repeat)]
    row = dict(rounds[0])
    for key in ("seconds", "raw_seconds", "cpu_seconds", "gc_seconds"):
        row[key] = statistics.median(r[key] for r in rounds)
    row["raw_same"] = all(r["raw_same"] for r in rounds)
    row["rounds"] = [
        {key: round(r[key], 3) for key in ("seconds", "raw_seconds", "cpu_seconds")} for r in rounds
    ]
    return row


def sweep_round(due: int, now: dt.datetime, profile: str, batch_size: int) -> dict:
    import gc

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows.tasks import deadlines_sweep

    ids = make_due(due, now)
    vacuum()
    open_count = sql("SELECT count(*) FROM workflows_deadline WHERE status = 'OPEN'")[0][0]
    plan = sql(
        "EXPLAIN SELECT id FROM workflows_deadline WHERE status = 'OPEN' "
        "AND next_action_at <= %s ORDER BY next_action_at, id LIMIT %s "
        "FOR UPDATE OF workflows_deadline SKIP LOCKED",
        [now, batch_size or settings.KARDBORRE_SWEEP_BATCH_SIZE],
    )
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    gc_time = [0.0]

    def gc_timer(phase, info):
        if phase == "start":
            gc_time.append(time.perf_counter())
        else:
            gc_time[0] += time.perf_counter() - gc_time.pop()

    gc.callbacks.append(gc_timer)
    cpu = time.process_time()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        if profiler is not None:
            profiler.enable()
        result = deadlines_sweep(now=now, **({"batch_size": batch_size} if batch_size else {}))
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    gc.callbacks.remove(gc_timer)
    if profiler is not None:
        profiler.dump_stats(f"{profile}-{due}.prof")
        Path(f"{profile}-{due}.sql").write_text(
            "\n".join(f"{float(q['time']):.4f} {q['sql'][:300]}" for q in queries.captured_queries)
        )
    emails = sql("SELECT count(*) FROM notifications_outboundemail")[0][0]
    deviations = sql("SELECT count(*) FROM coordination_deviation WHERE source = 'DEADLINE'")[0][0]
    row = {
        "open": open_count,
        "due": len(ids),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "gc_seconds": gc_time[0],
        "result": result,
        "emails": emails,
        "deviations": deviations,
        "queries": len(queries),
        "plan": "\n".join(line[0] for line in plan),
    }
    keep_writes(ids)
    undo_due(ids)
    # The same rows made due again, then the same writes in raw set-based SQL.
    ids = make_due(due, now)
    vacuum()
    with CaptureQueriesContext(connection) as queries:
        row["raw_seconds"] = raw_sweep(now)
    if profile:
        Path(f"{profile}-{due}-raw.sql").write_text(
            "\n".join(f"{float(q['time']):.4f} {q['sql'][:300]}" for q in queries.captured_queries)
        )
    row["raw_same"] = same_writes(ids)
    undo_due(ids)
    sql(
        "DROP TABLE bench_events, bench_outbox, bench_moves, bench_deviations, "
        "bench_deviation_events, bench_parties"
    )
    return row


#: What the sweep wrote, kept (as temporary tables) for the raw side to write again.
KEPT = {
    "bench_events": "SELECT * FROM workflows_deadlineevent WHERE kind <> 'OPENED'",
    "bench_outbox": "SELECT * FROM notifications_outboundemail",
    "bench_deviations": "SELECT * FROM coordination_deviation WHERE source = 'DEADLINE'",
    "bench_deviation_events": "SELECT * FROM coordination_deviationevent",
    "bench_parties": "SELECT * FROM coordination_processparty WHERE reason = 'DEVIATION'",
}


def keep_writes(ids: list[int]):
    """Keep every row the sweep wrote, and each deadline's new rung, before the undo."""
    for table, query in KEPT.items():
        sql(f"CREATE TEMPORARY TABLE {table} AS {query}")
    sql(
        "CREATE TEMPORARY TABLE bench_moves AS SELECT id, escalation_level, next_action_at, "
        "status, breached_at FROM workflows_deadline WHERE id = ANY(%s)",
        [ids],
    )
    for table in [*KEPT, "bench_moves"]:
        sql(f"ANALYZE {table}")


def same_writes(ids: list[int]) -> bool:
    """Whether the raw side wrote exactly what the sweep wrote (row for row)."""
    for table, query in KEPT.items():
        differ = (
            sql(f"SELECT count(*) FROM (({query}) EXCEPT ALL (SELECT * FROM {table})) AS a")[0][0]
            + sql(f"SELECT count(*) FROM ((SELECT * FROM {table}) EXCEPT ALL ({query})) AS b")[0][0]
        )
        if differ:
            return False
    moved = sql(
        "SELECT count(*) FROM workflows_deadline d JOIN bench_moves m USING (id) "
        "WHERE (d.escalation_level, d.next_action_at, d.status, d.breached_at) "
        "IS NOT DISTINCT FROM (m.escalation_level, m.next_action_at, m.status, m.breached_at)"
    )[0][0]
    return moved == len(ids)


def raw_sweep(now: dt.datetime) -> float:
    """The sweep's writes in raw SQL, set-based, one transaction: lock the due rows
    (the sweep's claim, without its batches), then write exactly the rows the sweep
    wrote (kept by ``keep_writes``): its events, its outbox rows, each deadline's new
    rung, and the deviations the breaches drafted with their events and the parties
    they added. Only the working out is left out: who to tell, and what. Seconds."""
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        sql(
            "SELECT id FROM workflows_deadline WHERE status = 'OPEN' AND next_action_at <= %s "
            "ORDER BY next_action_at, id FOR UPDATE SKIP LOCKED",
            [now],
        )
        sql("INSERT INTO workflows_deadlineevent SELECT * FROM bench_events")
        sql(
            "INSERT INTO notifications_outboundemail SELECT * FROM bench_outbox "
            "ON CONFLICT (idempotency_key) DO NOTHING"
        )
        sql(
            "UPDATE workflows_deadline AS d SET escalation_level = m.escalation_level, "
            "next_action_at = m.next_action_at, status = m.status, breached_at = m.breached_at "
            "FROM bench_moves AS m WHERE d.id = m.id"
        )
        sql("INSERT INTO coordination_deviation SELECT * FROM bench_deviations")
        sql("INSERT INTO coordination_deviationevent SELECT * FROM bench_deviation_events")
        sql(
            "INSERT INTO coordination_processparty SELECT * FROM bench_parties "
            "ON CONFLICT DO NOTHING"
        )
    return time.perf_counter() - started


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    import django

    settings_rows = sql(
        "SELECT name, setting, unit FROM pg_settings WHERE name IN "
        "('shared_buffers', 'fsync', 'synchronous_commit', 'work_mem', 'full_page_writes', "
        "'wal_compression', 'checkpoint_timeout', 'max_wal_size')"
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "postgresql": sql("SHOW server_version")[0][0],
        "pg_settings": ", ".join(
            f"{name}={setting}{unit or ''}" for name, setting, unit in sorted(settings_rows)
        ),
        "python": platform.python_version(),
        "django": django.get_version(),
        "os": platform.platform(),
    }


def write_results(path: Path, info: dict, generation: list, sweeps: list):
    from django.conf import settings

    lines = [
        "# Deadline sweep benchmark",
        "",
        "Produced by `scripts/bench.sh` (`bench/sweep_bench.py`, run by `make bench`) on",
        "throwaway PostgreSQL and Redis servers started like the test servers, but with fsync",
        "and synchronous commit on (settings below), on a machine shared with other work:",
        "absolute times vary with its load; sweep and raw SQL run in the same process.",
        f"Run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}, {info['nproc']} cores (nproc)",
        f"- Memory: {info['memory']}",
        f"- PostgreSQL {info['postgresql']} ({info['pg_settings']})",
        f"- Python {info['python']}, Django {info['django']}, {info['os']}",
        "",
        "## Dataset (generated with SQL `generate_series`)",
        "",
        "| Step | Rows | Seconds |",
        "|---|---:|---:|",
    ]
    lines += [f"| {step} | {rows:,} | {seconds:.1f} |" for step, rows, seconds in generation]
    lines += [
        "",
        "Registry: the Stockholm demo registry (11 stadsdelsområden, 7 more kommuner, the",
        "region; ~110 units with functional mailboxes, demo staff). Five deadlines per case,",
        "of the eight kinds, spread over the units.",
        "",
        "## One sweep (`workflows.tasks.deadlines_sweep`)",
        "",
        "Everything a sweep does: lock due rows in batches of "
        f"{settings.KARDBORRE_SWEEP_BATCH_SIZE:,} (`KARDBORRE_SWEEP_BATCH_SIZE`; "
        "`FOR UPDATE SKIP LOCKED`",
        "on the partial index `deadline_sweep_idx`), re-check, work out each row's rungs,",
        "resolve recipients (who was told before included), write the DeadlineEvent rows, the",
        "outbox rows and each deadline's next rung (sent 250 rows at a time in pipeline mode,",
        "so the server writes one chunk while the next is worked out), draft the deviations of",
        "the breaches, commit. Due rows are a mix of rungs: 70 % first reminder, 8 % reminder",
        "at due time, 20 % escalation, 2 % breach (drafting a deviation). Queries: every",
        "statement the sweep sent, for all its batches. Python CPU: the benchmark process's",
        "CPU time during the sweep (the rest of the wall time is the database's).",
        f"Each size is run {len(sweeps[0]['rounds'])} times (sweep, then raw on the same rows);",
        "the table shows the medians (each round in `bench/out/sweep.json`).",
        "",
        "| Open deadlines | Due | Sweep (s) | Deadlines/s | Python CPU (s) | Events | "
        "Outbox rows | Deviations | Queries | Raw SQL (s) | Same writes | Sweep / raw |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---:|",
    ]
    for row in sweeps:
        result = row["result"]
        events = result.reminders + result.escalations + result.breaches
        lines.append(
            f"| {row['open']:,} | {row['due']:,} | {row['seconds']:.2f} | "
            f"{row['due'] / row['seconds']:,.0f} | {row['cpu_seconds']:.2f} | {events:,} | "
            f"{row['emails']:,} | {row['deviations']:,} | {row['queries']:,} | "
            f"{row['raw_seconds']:.2f} | {'yes' if row['raw_same'] else 'NO'} | "
            f"{row['seconds'] / row['raw_seconds']:.2f}× |"
        )
    goal = next((r for r in sweeps if r["due"] == 10_000 and r["open"] >= 1_000_000), None)
    goal = goal or max(sweeps, key=lambda r: (r["open"], r["due"]))
    ratio = goal["seconds"] / goal["raw_seconds"]
    rounds = ", ".join(f"{r['seconds']:.2f} s / {r['raw_seconds']:.2f} s" for r in goal["rounds"])
    lines += [
        "",
        f"Sweep / raw for {goal['due']:,} due of {goal['open']:,} open: **{ratio:.2f}×** "
        f"(target ≤ 1.5×); {goal['queries']:,} queries in the sweep for "
        f"{goal['result'].breaches:,} breaches. Rounds (sweep / raw): {rounds}.",
        "",
        "Raw: the same rows made due again, then in one transaction: lock the due rows (the",
        "sweep's claim, without its batches) and write **exactly the rows the sweep wrote**,",
        "kept in temporary tables before the undo: its events (with their notes), its outbox",
        "rows (same keys, addresses and contexts), each deadline's new rung, status and breach",
        "time, and the deviations the breaches drafted with their CREATED events and the",
        "parties they added; all set-based (`INSERT … SELECT`, one `UPDATE … FROM`). The",
        "benchmark then checks, row for row, that the raw side wrote the same rows (Same",
        "writes). Only the working out is left out: which rung, who to tell, what to say. It",
        "is the floor for these writes on this database, one commit included.",
        "Everything is undone after each run.",
        "",
        "Where the rest goes (10k due, quiet machine): the database's share of the sweep is",
        "larger than the raw side's (five batches with their claims, the told-before and",
        "participant lookups, the rows parsed from one `jsonb` parameter per statement); the",
        "Python working out (about 40 µs per deadline: rungs, recipients, notes, outbox rows)",
        "overlaps the writes only in part.",
        "",
        "The claim query's plan (10k due of 1M open):",
        "",
        "```",
        next(
            (r["plan"] for r in sweeps if r["due"] == 10_000 and r["open"] >= 1_000_000),
            sweeps[-1]["plan"],
        ),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))
    common.write_summary(
        "sweep",
        [
            {
                "what": f"deadline sweep, {goal['due']:,} due of {goal['open']:,} open",
                "project": f"{goal['seconds']:.2f} s, {goal['queries']:,} queries",
                "raw": f"{goal['raw_seconds']:.2f} s (the same rows, written set-based)",
                "ratio": round(ratio, 2),
                "target": "≤ 1.5× raw",
                "met": ratio <= 1.5,
            }
        ],
        sweeps=[
            {
                "open": r["open"],
                "due": r["due"],
                "queries": r["queries"],
                "breaches": r["result"].breaches,
                "same_writes": r["raw_same"],
                "rounds": r["rounds"],
            }
            for r in sweeps
        ],
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--small-open", type=int, default=100_000)
    parser.add_argument("--due", default="1000,10000,100000")
    parser.add_argument("--results", default=str(ROOT / "bench" / "SWEEP.md"))
    parser.add_argument("--batch-size", type=int, default=0, help="the sweep's batch size")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of sweep and raw per size (medians)"
    )
    parser.add_argument(
        "--profile", default="", help="write a cProfile of each sweep to PREFIX-<due>.prof"
    )
    args = parser.parse_args()
    smtp_port = free_port()
    setup_django(smtp_port)
    import logging

    logging.getLogger("workflows.tasks").setLevel(logging.WARNING)
    now = dt.datetime.now(dt.UTC)
    generation, sweeps = [], []

    load_registry()
    warm_up(now)
    print(f"Generating {args.small_open:,} open deadlines …", flush=True)
    generation.append(
        ("open deadlines (first part)", args.small_open, add_open_deadlines(args.small_open))
    )
    vacuum()
    print("Sweep: 10,000 due of the small set …", flush=True)
    sweeps.append(time_sweep(10_000, now, repeat=args.repeat))

    rest = args.open - args.small_open
    print(f"Generating {rest:,} more open and {args.closed:,} closed deadlines …", flush=True)
    generation.append(("open deadlines (rest)", rest, add_open_deadlines(rest)))
    generation.append(("closed (met) deadlines", args.closed, add_closed_deadlines(args.closed)))
    started = time.perf_counter()
    vacuum()
    generation.append(("VACUUM ANALYZE", 0, time.perf_counter() - started))
    for due in [int(n) for n in args.due.split(",")]:
        print(f"Sweep: {due:,} due of {args.open:,} open …", flush=True)
        sweeps.append(time_sweep(due, now, args.profile, args.batch_size, args.repeat))
        row = sweeps[-1]
        print(
            f"  sweep {row['seconds']:.2f} s, {row['queries']} queries, "
            f"raw {row['raw_seconds']:.2f} s, {row['seconds'] / row['raw_seconds']:.2f}×, "
            f"same writes: {row['raw_same']}",
            flush=True,
        )

    write_results(Path(args.results), machine(), generation, sweeps)
    print(f"Results written to {args.results}")


if __name__ == "__main__":
    main()
