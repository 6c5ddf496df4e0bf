"""MAS dashboard benchmark on PostgreSQL (run by bench/run_dashboard.sh).

1. Loads the demo registry and users (Stockholm's districts and kommuner), then fills
   with SQL (``generate_series``): 100,000 cases over two years (60 % discharges with
   two notified units, 40 % SIPs with a meeting and two invitations), their deadlines
   (two or three per case, mostly met, some late or breached), the utskrivningsklar
   notice of each case ready for discharge, and 20,000 deviations in
   every state, spread over all kommuner.
2. Times the dashboard's default view (the MAS's kommun, last twelve months) for
   ``mas.sodermalm`` (Stockholms stad, the largest kommun) and ``mas.huddinge``, through
   Django's test client (middleware, queries, template), after warm-up runs.

Writes bench/DASHBOARD.md. Not a test: nothing asserts.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import common  # noqa: E402 (bench/common.py, beside this file)

_columns_sql = common.columns_sql


def _pick(ids: list[int]) -> str:
    array = ",".join(str(i) for i in ids)
    return f"(ARRAY[{array}])[1 + floor(random() * {len(ids)})::int]"


def fill(cases: int, deviations: int) -> dict:
    from django.db import connection
    from viewflow.workflow.models import Process

    from coordination import demo
    from coordination.models import Individual, Organisation
    from workflows.deviations.models import Deviation
    from workflows.discharge.flows import DischargeFlow
    from workflows.discharge.models import (
        DischargeProcess,
        DischargeUnit,
        ReadyForDischargeNotice,
    )
    from workflows.models import Deadline
    from workflows.sip.flows import SipFlow
    from workflows.sip.models import Invitation, Meeting, SipProcess

    demo.load_registry()
    demo.load_users()
    kommun_units = list(
        Organisation.objects.filter(kind__in=["SOCIALTJANST", "KOMMUNAL_HSV"]).values_list(
            "pk", flat=True
        )
    )
    wards = list(Organisation.objects.filter(kind="SJUKHUSAVDELNING").values_list("pk", flat=True))
    vcs = list(Organisation.objects.filter(kind="VARDCENTRAL").values_list("pk", flat=True))
    flow = Process._meta.get_field("flow_class")
    discharge_flow = flow.get_prep_value(DischargeFlow)
    sip_flow = flow.get_prep_value(SipFlow)
    n_discharge = cases * 6 // 10
    n_sip = cases - n_discharge
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Rows are loaded with the triggers off (one refresh per inserted party would
        # take minutes); the dashboard's kept figures are then filled from scratch by
        # the same function as ``manage.py rebuild_dashboard_figures`` (the tests hold
        # the triggers' rows equal to a rebuild's).
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SELECT setseed(0.42)")
        cols, vals = _columns_sql(
            Individual,
            {
                "personal_identity_number": "'19' || lpad(g::text, 6, '0') || '-' || "
                "lpad((g % 10000)::text, 4, '0')",
                "given_name": "'Bench'",
                "family_name": "'Person ' || g",
            },
        )
        cursor.execute(
            f"INSERT INTO {Individual._meta.db_table} ({cols}) "
            f"SELECT {vals} FROM generate_series(1, 20000) g"
        )
        cursor.execute(f"SELECT min(id), max(id) FROM {Individual._meta.db_table}")
        ind_min, ind_max = cursor.fetchone()
        individual = f"{ind_min} + floor(random() * {ind_max - ind_min + 1})::int"

        for flow_value, count in ((discharge_flow, n_discharge), (sip_flow, n_sip)):
            cols, vals = _columns_sql(
                Process,
                {
                    "flow_class": f"'{flow_value}'",
                    "status": "'NEW'",
                    "created": "now() - random() * interval '730 days'",
                },
            )
            cursor.execute(
                f"INSERT INTO {Process._meta.db_table} ({cols}) "
                f"SELECT {vals} FROM generate_series(1, {count}) g"
            )

        # Discharges: admitted at creation; 85 % utskrivningsklar 1–10 days later,
        # of those 90 % discharged 0–8 days after (more for some).
        cols, vals = _columns_sql(
            DischargeProcess,
            {
                "process_ptr_id": "p.id",
                "individual_id": individual,
                "ward_id": _pick(wards),
                "admitted_at": "p.created",
                "judgement": "'MAY_NEED'",
                "stage": "'PLANNING'",
                "care_type": "'SOMATIC'",
            },
        )
        cursor.execute(
            f"INSERT INTO {DischargeProcess._meta.db_table} ({cols}) SELECT {vals} "
            f"FROM {Process._meta.db_table} p WHERE p.flow_class = %s",
            [discharge_flow],
        )
        table = DischargeProcess._meta.db_table
        cursor.execute(
            f"UPDATE {table} SET ready_for_discharge_at = admitted_at "
            "+ (1 + random() * 9) * interval '1 day' WHERE random() < 0.85"
        )
        cursor.execute(
            f"UPDATE {table} SET discharged_at = ready_for_discharge_at + floor(random() * "
            "random() * 12) * interval '1 day' + interval '2 hours', stage = 'DISCHARGED' "
            "WHERE ready_for_discharge_at IS NOT NULL AND random() < 0.9"
        )
        # The utskrivningsklar notice behind each ready_for_discharge_at (sent when
        # issued): what the payment-indicator trend panel counts from.
        cursor.execute("SELECT min(id) FROM auth_user")
        issuer = cursor.fetchone()[0]
        cols, vals = _columns_sql(
            ReadyForDischargeNotice,
            {
                "process_id": "d.process_ptr_id",
                "issued_at": "d.ready_for_discharge_at",
                "issued_by_id": str(issuer),
                "recorded_at": "d.ready_for_discharge_at",
            },
        )
        cursor.execute(
            f"INSERT INTO {ReadyForDischargeNotice._meta.db_table} ({cols}) SELECT {vals} "
            f"FROM {table} d WHERE d.ready_for_discharge_at IS NOT NULL"
        )
        for role, ids in (("SOCIALTJANST", kommun_units), ("VARDCENTRAL", vcs)):
            cols, vals = _columns_sql(
                DischargeUnit,
                {
                    "process_id": "d.process_ptr_id",
                    "role": f"'{role}'",
                    "organisation_id": _pick(ids),
                    "ack_state": "'ACKNOWLEDGED'",
                },
            )
            cursor.execute(
                f"INSERT INTO {DischargeUnit._meta.db_table} ({cols}) SELECT {vals} FROM {table} d"
            )

        # SIPs: a kommun unit initiates, a vårdcentral and a ward take part; one meeting
        # (80 % held) with two invitations.
        cols, vals = _columns_sql(
            SipProcess,
            {
                "process_ptr_id": "p.id",
                "individual_id": individual,
                "initiating_organisation_id": _pick(kommun_units),
                "stage": "'PLAN'",
            },
        )
        cursor.execute(
            f"INSERT INTO {SipProcess._meta.db_table} ({cols}) SELECT {vals} "
            f"FROM {Process._meta.db_table} p WHERE p.flow_class = %s",
            [sip_flow],
        )
        through = SipProcess.participants.through._meta.db_table
        for ids in (vcs, wards):
            cursor.execute(
                f"INSERT INTO {through} (sipprocess_id, organisation_id) "
                f"SELECT process_ptr_id, {_pick(ids)} FROM {SipProcess._meta.db_table} "
                "ON CONFLICT DO NOTHING"
            )
        cols, vals = _columns_sql(
            Meeting,
            {
                "sip_id": "s.process_ptr_id",
                "starts_at": "p.created + interval '10 days'",
                "held_at": "CASE WHEN random() < 0.8 THEN p.created + interval '10 days' END",
                "place": "'Mötesrum'",
            },
        )
        cursor.execute(
            f"INSERT INTO {Meeting._meta.db_table} ({cols}) SELECT {vals} "
            f"FROM {SipProcess._meta.db_table} s JOIN {Process._meta.db_table} p "
            "ON p.id = s.process_ptr_id"
        )
        for role_ids in (vcs, wards):
            cols, vals = _columns_sql(
                Invitation,
                {
                    "meeting_id": "m.id",
                    "kind": "'ORGANISATION'",
                    "organisation_id": _pick(role_ids),
                    "state": "'ACCEPTED'",
                    "channel": "'SYSTEM'",
                    "sent_at": "m.starts_at - interval '7 days'",
                    "attendance": "CASE WHEN m.held_at IS NULL THEN '' WHEN random() < 0.75 "
                    "THEN 'ATTENDED' ELSE 'ABSENT' END",
                },
            )
            cursor.execute(
                f"INSERT INTO {Invitation._meta.db_table} ({cols}) SELECT {vals} "
                f"FROM {Meeting._meta.db_table} m ON CONFLICT DO NOTHING"
            )

        # Deadlines: per discharge an admission notice (ward) and an acknowledgement
        # of utskrivningsklar (vårdcentral); per SIP a SIP invitation (vårdcentral).
        status = (
            "CASE WHEN r < 0.80 THEN 'MET' WHEN r < 0.88 THEN 'MET' WHEN r < 0.97 "
            "THEN 'BREACHED' ELSE 'CANCELLED' END"
        )
        met_at = (
            "CASE WHEN r < 0.80 THEN due - interval '3 hours' WHEN r < 0.88 "
            "THEN due + interval '5 hours' END"
        )
        breached_at = "CASE WHEN r >= 0.88 AND r < 0.97 THEN due + interval '24 hours' END"
        for kind, source, due, responsible in (
            ("INSKRIVNINGSMEDDELANDE", table, "admitted_at + interval '24 hours'", "ward_id"),
            (
                "UTSKRIVNINGSKLAR_ACK",
                table,
                "coalesce(ready_for_discharge_at, admitted_at) + interval '4 hours'",
                _pick(vcs),
            ),
        ) + (
            (
                "SIP_KALLELSE",
                f"{SipProcess._meta.db_table} s JOIN {Process._meta.db_table} p "
                "ON p.id = s.process_ptr_id",
                "p.created + interval '3 days'",
                _pick(vcs),
            ),
        ):
            pk = "process_ptr_id"
            cols, vals = _columns_sql(
                Deadline,
                {
                    "process_id": "x.pk",
                    "kind": f"'{kind}'",
                    "responsible_organisation_id": "x.responsible",
                    "due_at": "x.due",
                    "status": status,
                    "met_at": met_at,
                    "breached_at": breached_at,
                    "created_at": "x.due - interval '1 day'",
                },
            )
            cursor.execute(
                f"INSERT INTO {Deadline._meta.db_table} ({cols}) SELECT {vals} FROM "
                f"(SELECT {pk} AS pk, {due} AS due, {responsible} AS responsible, random() AS r "
                f"FROM {source}) x"
            )

        # Deviations in every state over two years.
        cols, vals = _columns_sql(
            Deviation,
            {
                "status": "(ARRAY['DRAFT','REPORTED','ANSWERED','CLOSED','DISMISSED','REOPENED'])"
                "[1 + floor(random() * 6)::int]",
                "category": "(ARRAY['INSKRIVNINGSMEDDELANDE_LATE','SIP_INVITATION_LATE',"
                "'SIP_PARTICIPANT_ABSENT','MEDICATION_LIST_MISSING','AIDS_MISSING','OTHER'])"
                "[1 + floor(random() * 6)::int]",
                "process_step": "'OTHER'",
                "reporting_organisation_id": _pick(kommun_units),
                "receiving_organisation_id": _pick(wards + vcs),
                "description": "'Bench'",
                "harm": "'NO'",
                "level": "'CASE'",
                "source": "'MANUAL'",
                "occurred_at": "now() - random() * interval '730 days'",
                "answer_due_date": "(now() - random() * interval '700 days' "
                "+ interval '60 days')::date",
                "dismissal_reason": "'Bench'",
                "created_at": "now()",
            },
        )
        cursor.execute(
            f"INSERT INTO {Deviation._meta.db_table} ({cols}) SELECT {vals} "
            f"FROM generate_series(1, {deviations}) g"
        )
        # The parties of each case (coordination.ProcessParty), as the flows record them.
        from coordination.models import ProcessParty

        parties = ProcessParty._meta.db_table
        sip_table = SipProcess._meta.db_table
        for reason, select in (
            ("WARD", f"SELECT process_ptr_id, ward_id FROM {table}"),
            (
                "ADMISSION_NOTICE",
                f"SELECT process_id, organisation_id FROM {DischargeUnit._meta.db_table}",
            ),
            (
                "SIP_INITIATOR",
                f"SELECT process_ptr_id, initiating_organisation_id FROM {sip_table}",
            ),
            ("SIP_PARTICIPANT", f"SELECT sipprocess_id, organisation_id FROM {through}"),
            (
                "SIP_INVITATION",
                f"SELECT m.sip_id, i.organisation_id FROM {Invitation._meta.db_table} i "
                f"JOIN {Meeting._meta.db_table} m ON m.id = i.meeting_id",
            ),
        ):
            cursor.execute(
                f"INSERT INTO {parties} (process_id, organisation_id, reason, since_at) "
                f"SELECT x.p, x.o, '{reason}', now() FROM ({select}) x(p, o) "
                "WHERE x.o IS NOT NULL ON CONFLICT DO NOTHING"
            )
        cursor.execute("SET session_replication_role = DEFAULT")
        filled = time.perf_counter()
        cursor.execute("SELECT oversight_rebuild_dashboard_figures()")
        rebuilt = time.perf_counter()
        # What autovacuum does after a load: statistics and the visibility map (the
        # dashboard reads the kept figures through covering, index-only scans).
        cursor.execute("VACUUM ANALYZE")
    return {"fill_seconds": filled - started, "rebuild_seconds": rebuilt - filled}


def trigger_cost(rows: int = 5000, parties: int = 2000) -> dict:
    """What the triggers add to a write, each statement in a transaction rolled back,
    with the triggers and without, median of 3: ``rows`` deadlines breached (status and
    breached_at changed, which moves a figure) in one statement; ``parties`` parties
    added, at a region unit (nothing to refresh) and at a kommun unit of a kommun the
    cases were not in (each case refreshed whole)."""
    from django.db import connection, transaction

    from coordination.models import Area, Organisation, ProcessParty
    from workflows.models import Deadline

    table = Deadline._meta.db_table
    region_unit = Organisation.objects.filter(kind="VARDCENTRAL").order_by("pk").first()
    huddinge = Area.objects.get(name="Huddinge")
    kommun_unit = (
        Organisation.objects.filter(area=huddinge, huvudman="KOMMUN").order_by("pk").first()
    )
    party = (
        f"INSERT INTO {ProcessParty._meta.db_table} "  # noqa: S608
        "(process_id, organisation_id, reason, since_at) "
        "SELECT id, %s, 'DEVIATION', now() FROM viewflow_process ORDER BY id LIMIT %s "
        "ON CONFLICT DO NOTHING"
    )
    statements = {
        "breach": (
            f"UPDATE {table} SET status = 'BREACHED', breached_at = due_at "  # noqa: S608
            f"WHERE id IN (SELECT id FROM {table} WHERE status = 'MET' ORDER BY id LIMIT %s)",
            [rows],
        ),
        "region_party": (party, [region_unit.pk, parties]),
        "kommun_party": (party, [kommun_unit.pk, parties]),
    }
    result = {"rows": rows, "parties": parties}
    for name, (statement, params) in statements.items():
        for label, role in (("with", "DEFAULT"), ("without", "replica")):
            times = []
            for _i in range(3):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL session_replication_role = {role}")
                    started = time.perf_counter()
                    cursor.execute(statement, params)
                    times.append((time.perf_counter() - started) * 1000)
                    transaction.set_rollback(True)
            result[f"{name}_{label}"] = statistics.median(times)
    return result


def time_dashboard(username: str, runs: int, cold_runs: int = 10) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username=username))
    url = reverse("oversight:dashboard")
    for _i in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _i in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    connection.queries_log.clear()  # a full log (9,000 entries) would capture nothing
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    query_count = len(queries)  # now: the next request resets the log
    if os.environ.get("DASHBOARD_PROFILE") == "cprofile":
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        client.get(url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            45
        )
    if os.environ.get("DASHBOARD_PROFILE"):
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:8]:
            print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:600]}")
    times.sort()
    # The count of the case figures behind the page, on its own (every view does it:
    # the figures are current).
    from django.utils import timezone

    from coordination.selectors import mas_kommuner
    from oversight.dashboard import Scope, compute

    cold = []
    for _i in range(cold_runs):
        started = time.perf_counter()
        response = client.get(url)
        cold.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    cold.sort()
    user = get_user_model().objects.get(username=username)
    scope = Scope.build(kommun=mas_kommuner(user=user)[0], today=timezone.localdate())
    recounts, kept = [], []
    for _i in range(3):
        started = time.perf_counter()
        compute(Scope.build(kommun=scope.kommun, today=scope.today, live=True))
        recounts.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        compute(Scope.build(kommun=scope.kommun, today=scope.today))
        kept.append((time.perf_counter() - started) * 1000)
    # The payment-indicator trend panel on its own (oversight.views.dashboard_trend_panel):
    # twelve months of episodes, counted in one SQL statement on every view.
    from oversight.views import dashboard_trend_panel

    trend = []
    for _i in range(3):
        started = time.perf_counter()
        dashboard_trend_panel(Scope.build(kommun=scope.kommun, today=scope.today))
        trend.append((time.perf_counter() - started) * 1000)
    return {
        "trend": statistics.median(trend),
        "median": statistics.median(times),
        "p95": times[max(0, int(round(0.95 * len(times))) - 1)],
        "queries": query_count,
        "recount": statistics.median(recounts),
        "kept": statistics.median(kept),
        "cold_median": statistics.median(cold),
        "cold_p95": cold[max(0, int(round(0.95 * len(cold))) - 1)],
    }


def machine() -> dict:
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    return {
        "nproc": nproc,
        "cpu": cpu,
        "memory": memory,
        "postgresql": pg,
        "python": platform.python_version(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--deviations", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cold-runs", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "bench" / "DASHBOARD.md"))
    parser.add_argument("--fill-only", action="store_true", help="fill the database and stop")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = ["localhost"]
    settings.DEBUG = False
    filled = fill(args.cases, args.deviations)
    if args.fill_only:
        return
    counts = {}
    with connection.cursor() as cursor:
        for label, table in (
            ("cases", "viewflow_process"),
            ("deadlines", "workflows_deadline"),
            ("deviations", "coordination_deviation"),
            ("SIP invitations", "sip_invitation"),
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            counts[label] = cursor.fetchone()[0]
    results = {
        user: time_dashboard(user, args.runs, args.cold_runs)
        for user in ("mas.sodermalm", "mas.huddinge")
    }
    triggers = trigger_cost()
    info = machine()
    lines = [
        "# MAS dashboard benchmark",
        "",
        "`bash bench/run_dashboard.sh` (throwaway PostgreSQL, fsync on, "
        "shared_buffers=1GB, work_mem=16MB). Default view of the dashboard: the MAS's "
        "kommun, the last twelve months, every table and both charts. Server time is "
        "measured around Django's test client (URL routing, middleware, session, queries, "
        f"template rendering), {args.runs} runs after 3 warm-up runs.",
        "",
        "Data: "
        + ", ".join(f"{n:,} {label}" for label, n in counts.items())
        + f" (filled in {filled['fill_seconds']:.0f} s with SQL; the dashboard's kept "
        f"figures rebuilt from them in {filled['rebuild_seconds']:.1f} s).",
        "",
        "| MAS (kommun) | median | p95 | queries | case figures from the kept tables "
        "(median of 3) | the same recounted from the cases | cold median | cold p95 "
        "| trend panel alone (median of 3) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for user, r in results.items():
        lines.append(
            f"| {user} | {r['median']:.0f} ms | {r['p95']:.0f} ms | {r['queries']} "
            f"| {r['kept']:.0f} ms | {r['recount']:.0f} ms | {r['cold_median']:.0f} ms "
            f"| {r['cold_p95']:.0f} ms "
            f"| {r['trend']:.0f} ms |"
        )
    lines += [
        "",
        "Every view counts its figures when it is opened (no snapshot, nothing lags). "
        "The kommun's default view no longer searches for its cases: the cases each "
        "kommun's MAS oversees and their deadlines, SIP invitations and discharges are "
        "kept per kommun, and each discharge's payment episode (notice in force, paying "
        "unit) once, in five tables (`oversight.models`) that PostgreSQL triggers "
        "(`oversight/dashboard_sql.py`) update in the transaction of every change of a "
        "source row, party, organisation or area; the page groups those rows through "
        "covering indexes. The deviations (open by category and status, overdue "
        "answers), the SIP contents and the re-routed notices are counted from their own "
        "tables (one grouped query each). A narrower scope (district, organisation) "
        "still counts from the cases. The recount column is the default view's case "
        "figures counted from the cases, as before, for comparison.",
        "",
        "What the triggers add to a write (one statement, median of 3, rolled back; "
        "with the triggers / without): "
        f"{triggers['rows']:,} deadlines breached {triggers['breach_with']:.0f} / "
        f"{triggers['breach_without']:.0f} ms; {triggers['parties']:,} parties added at a "
        f"region unit {triggers['region_party_with']:.0f} / "
        f"{triggers['region_party_without']:.0f} ms, at a unit of a kommun the cases were "
        f"not in (each case refreshed) {triggers['kommun_party_with']:.0f} / "
        f"{triggers['kommun_party_without']:.0f} ms. A change that moves no figure (the "
        "sweep's reminder rungs, a party in a kommun already counting the case) fires "
        "nothing or returns at once.",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, "
        f"PostgreSQL {info['postgresql']}, Python {info['python']}.",
        "",
    ]
    lines += [
        f"Cold: {args.cold_runs} more views after the timed runs (every view counts the "
        "case figures itself). Target (issue #15): Stockholm p95 < 300 ms, one smaller "
        "kommun < 100 ms, cold.",
        "",
    ]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines))
    targets = {"mas.sodermalm": 300, "mas.huddinge": 100}
    common.write_summary(
        "dashboard",
        [
            {
                "what": f"MAS dashboard cold, {user} ({args.cases:,} cases)",
                "project": f"p95 {r['cold_p95']:.0f} ms",
                "raw": "-",
                "ratio": None,
                "target": f"p95 < {targets[user]} ms",
                "met": r["cold_p95"] < targets[user],
            }
            for user, r in results.items()
        ],
    )


if __name__ == "__main__":
    main()
