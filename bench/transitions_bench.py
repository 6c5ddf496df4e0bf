"""Transitions benchmark: a 10-step LUS discharge through the service layer vs raw SQL.

Project: each case is driven through ``workflows.discharge.services`` as the task views
call them (register with a judgement, admission notice to the kommun and the
vårdcentral, both answers, the fast vårdkontakt, both plans, the ready notice, its
acknowledgement, the discharge): 10 steps, each its own transaction, with everything
the services do (events, deadlines, outbox rows with rendered emails, stage checks).
Raw: the same number of steps, each one transaction of an UPDATE of the case row and
an INSERT of its audit event (the limit a step cannot beat).

Writes bench/TRANSITIONS.md and bench/out/transitions.json. Not a test: nothing asserts.
"""

import argparse
import datetime as dt
from pathlib import Path

import common
from common import ROOT, Timer, sql

STEPS = 10


def world():
    from django.contrib.auth import get_user_model

    from coordination.models import Area, Membership, Organisation

    User = get_user_model()
    kommun = Area.objects.create(name="Benchstad", kind=Area.Kind.KOMMUN)
    district = Area.objects.create(
        name="Benchdistrikt", kind=Area.Kind.STADSDELSOMRADE, parent=kommun
    )

    def org(name, kind, huvudman):
        return Organisation.objects.create(
            name=name,
            kind=kind,
            area=district,
            huvudman=huvudman,
            functional_mailbox=f"{name.split()[0].lower()}@example.se",
        )

    w = type("World", (), {})()
    w.ward = org("Avdelning bench", Organisation.Kind.SJUKHUSAVDELNING, "REGION")
    w.social = org("Biståndsenhet bench", Organisation.Kind.SOCIALTJANST, "KOMMUN")
    w.vc = org("Vårdcentral bench", Organisation.Kind.VARDCENTRAL, "REGION")

    def member(organisation, role, username):
        user = User.objects.create(username=username, first_name=username, last_name="Bench")
        Membership.objects.create(user=user, organisation=organisation, role=role)
        return user

    w.nurse = member(w.ward, "SJUKSKOTERSKA", "nurse")
    w.handlaggare = member(w.social, "HANDLAGGARE", "handlaggare")
    w.vardkontakt = member(w.vc, "FAST_VARDKONTAKT", "vardkontakt")
    return w


def individuals(count: int) -> list:
    from coordination.models import Individual
    from coordination.personnummer import make_test_number

    first = dt.date(1930, 1, 1)
    return Individual.objects.bulk_create(
        Individual(
            personal_identity_number=make_test_number(
                first + dt.timedelta(days=n // 900), 100 + n % 900
            ),
            given_name="Bench",
            family_name=f"Person {n}",
        )
        for n in range(count)
    )


def steps(w, individual):
    """The ten steps of one discharge, each a callable running one service."""
    from django.utils import timezone

    from workflows.discharge import services
    from workflows.discharge.flows import DischargeFlow
    from workflows.discharge.models import DischargeProcess, Judgement

    state = {}
    now = timezone.now()

    def register():
        process = DischargeProcess(flow_class=DischargeFlow)
        state["p"] = services.discharge_register(
            process=process,
            individual=individual,
            ward=w.ward,
            admitted_at=now - dt.timedelta(hours=2),
            care_type="SOMATIC",
            judgement=Judgement.MAY_NEED,
            by=w.nurse,
        )

    def p():
        return DischargeProcess.objects.get(pk=state["p"].pk)

    return [
        register,
        lambda: services.admission_notice_send(
            process=p(),
            socialtjanst=w.social,
            vardcentral=w.vc,
            estimated_discharge_date=(now + dt.timedelta(days=4)).date(),
            by=w.nurse,
        ),
        lambda: services.unit_answer(
            process=p(), role="SOCIALTJANST", ack_state="ACKNOWLEDGED", by=w.handlaggare
        ),
        lambda: services.unit_answer(
            process=p(), role="VARDCENTRAL", ack_state="ACKNOWLEDGED", by=w.vardkontakt
        ),
        lambda: services.fast_vardkontakt_appoint(
            process=p(), person=w.vardkontakt, by=w.vardkontakt
        ),
        lambda: services.interventions_plan(
            process=p(),
            role="SOCIALTJANST",
            interventions_needed=True,
            planned_interventions="Hemtjänst",
            by=w.handlaggare,
        ),
        lambda: services.interventions_plan(
            process=p(), role="VARDCENTRAL", interventions_needed=False, by=w.vardkontakt
        ),
        lambda: services.ready_notice_issue(
            process=p(), issued_at=timezone.now() - dt.timedelta(minutes=1), by=w.nurse
        ),
        lambda: services.ready_notice_acknowledge(process=p(), by=w.vardkontakt),
        lambda: services.discharge_record(
            process=p(),
            discharged_at=timezone.now() - dt.timedelta(seconds=30),
            information_sent_at=timezone.now() - dt.timedelta(seconds=20),
            by=w.nurse,
        ),
    ]


def _writes(statement: str) -> bool:
    """INSERT, UPDATE or DELETE, also as a data-modifying WITH (one statement that
    writes a row and its event)."""
    head = statement.lstrip()[:6].upper()
    if head.startswith("WITH"):
        return any(word in statement.upper() for word in ("INSERT ", "UPDATE ", "DELETE "))
    return head in ("INSERT", "UPDATE", "DELETE")


#: What every step sends whatever it does: the transaction's BEGIN and COMMIT, the read
#: of the case (as the task view reads it), whether the user acts for the organisation
#: (the services check it again below the view), and who subscribes to webhooks (read
#: once per transaction, so that an event's webhook rows commit with it).
FIXED = {
    "BEGIN and COMMIT": lambda sql: sql in ("BEGIN", "COMMIT"),
    "read of the case": lambda sql: (
        sql.startswith('SELECT "viewflow_process"."id"') and '"discharge_dischargeprocess"' in sql
    ),
    "membership check (alone or in a read)": lambda sql: '"coordination_membership"' in sql,
    "webhook subscribers": lambda sql: 'FROM "api_webhooksubscription"' in sql,
}


def _fixed_kind(sql: str) -> str:
    sql = sql.strip()
    return next((kind for kind, match in FIXED.items() if match(sql)), "")


def project(w, people) -> dict:
    """Statements counted as Django's query log has them (BEGIN, SAVEPOINT and COMMIT
    included), one log per case: the log keeps only its last 9,000 entries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    per_step = [0] * STEPS
    writes = [0] * STEPS
    fixed = dict.fromkeys(FIXED, 0)
    with Timer() as timer:
        for individual in people:
            connection.queries_log.clear()  # a full log (9,000) would hide what follows
            with CaptureQueriesContext(connection) as queries:
                for index, step in enumerate(steps(w, individual)):
                    before = len(queries)
                    step()
                    ran = queries.captured_queries[before:]
                    per_step[index] += len(ran)
                    writes[index] += sum(1 for q in ran if _writes(q["sql"]))
                    for q in ran:
                        kind = _fixed_kind(q["sql"])
                        if kind:
                            fixed[kind] += 1
    total = len(people) * STEPS
    return {
        "steps": total,
        "seconds": timer.seconds,
        "per_second": total / timer.seconds,
        "queries_per_step": sum(per_step) / total,
        "writes_per_step": sum(writes) / total,
        "by_step": [n / len(people) for n in per_step],
        "fixed_per_step": {kind: n / total for kind, n in fixed.items()},
    }


def raw(cases: int) -> dict:
    """The same number of steps: UPDATE the case row + INSERT its event, one commit each."""
    from django.db import connection, transaction

    from workflows.discharge.models import DischargeEvent, DischargeProcess

    process_table = DischargeProcess._meta.db_table
    event_table = DischargeEvent._meta.db_table
    ids = [
        r[0]
        for r in sql(f"SELECT process_ptr_id FROM {process_table} ORDER BY 1 LIMIT %s", [cases])
    ]
    user = sql("SELECT id FROM auth_user WHERE username = 'nurse'")[0][0]
    with Timer() as timer:
        for pk in ids:
            for step in range(STEPS):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {process_table} SET stage = stage, "
                        "estimated_discharge_date = estimated_discharge_date "
                        "WHERE process_ptr_id = %s",
                        [pk],
                    )
                    cursor.execute(
                        f"INSERT INTO {event_table} (process_id, kind, by_id, organisation_id, "
                        "at, note, from_stage, to_stage) "
                        "VALUES (%s, 'NOTE', %s, NULL, now(), %s, '', '')",
                        [pk, user, f"raw {step}"],
                    )
    total = len(ids) * STEPS
    # BEGIN is implicit in psycopg; SAVEPOINT-free: UPDATE, INSERT, COMMIT.
    return {
        "steps": total,
        "seconds": timer.seconds,
        "per_second": total / timer.seconds,
        "queries_per_step": 2,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--out", default=str(ROOT / "bench" / "TRANSITIONS.md"))
    args = parser.parse_args()
    common.setup_django(EMAIL_URL="dummymail://")
    import logging

    logging.getLogger("workflows").setLevel(logging.WARNING)
    w = world()
    people = individuals(args.cases + 5)
    project(w, people[:5])  # warm-up
    print(f"{args.cases} discharges × {STEPS} steps through the services …", flush=True)
    result = project(w, people[5:])
    print(f"  {result}", flush=True)
    baseline = raw(args.cases)
    print(f"  raw: {baseline}", flush=True)
    write(Path(args.out), args.cases, result, baseline)


NAMES = [
    "register (judged at admission)",
    "admission notice to kommun and vårdcentral",
    "kommun answers",
    "vårdcentral answers",
    "fast vårdkontakt appointed",
    "kommun plans",
    "vårdcentral plans",
    "utskrivningsklar issued",
    "utskrivningsklar acknowledged",
    "discharged",
]


def write(path: Path, cases: int, result: dict, baseline: dict):
    ratio = result["per_second"] / baseline["per_second"]
    info = common.machine()
    lines = [
        "# Transitions benchmark",
        "",
        f"Run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/run_transitions.sh` on",
        f"a {info['nproc']}-core {info['cpu']} shared with other work (load {info['load']}),",
        f"PostgreSQL {info['postgresql']} ({info['pg_settings']}).",
        "Absolute numbers vary with the load; project and raw run in the same process, one",
        "after the other, on the same database.",
        "",
        f"{cases} discharges × {STEPS} steps through `workflows.discharge.services` (each",
        "step one transaction with everything the service does: checks, events, deadlines,",
        "parties, outbox rows (the units' emails as plain data, rendered at delivery),",
        "webhook look-ups, the delivery task queued after commit). Raw: the same number",
        "of steps, each one transaction of an UPDATE of the case row and an INSERT of an",
        "audit event.",
        "",
        "| Path | Steps | Seconds | Steps/s | Queries per step |",
        "|---|---:|---:|---:|---:|",
        f"| services | {result['steps']:,} | {result['seconds']:.2f} | "
        f"{result['per_second']:,.0f} | {result['queries_per_step']:.1f} |",
        f"| raw UPDATE + INSERT | {baseline['steps']:,} | {baseline['seconds']:.2f} | "
        f"{baseline['per_second']:,.0f} | 2 (+ COMMIT) |",
        "",
        f"Services / raw: **{ratio:.2f}×** (target ≥ 0.5×, ≤ 8 queries per step). "
        f"Writes (INSERT/UPDATE/DELETE) per step: {result['writes_per_step']:.1f}.",
        "",
        "| Step | Queries |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {n:.0f} |" for name, n in zip(NAMES, result["by_step"], strict=True)]
    fixed = result["fixed_per_step"]
    lines += [
        "",
        f"Of the {result['queries_per_step']:.1f} statements per step, "
        f"{sum(fixed.values()):.1f} are sent by every step whatever it does:",
        "",
        "| Statement | Per step |",
        "|---|---:|",
    ]
    lines += [f"| {kind} | {n:.1f} |" for kind, n in fixed.items()]
    lines.append("")
    path.write_text("\n".join(lines))
    common.write_summary(
        "transitions",
        [
            {
                "what": "10-step discharge through the services",
                "project": f"{result['per_second']:,.0f} steps/s, "
                f"{result['queries_per_step']:.1f} queries/step",
                "raw": f"{baseline['per_second']:,.0f} steps/s",
                "ratio": round(ratio, 2),
                "target": "≥ 0.5× raw, ≤ 8 queries/step",
                "met": ratio >= 0.5 and result["queries_per_step"] <= 8,
            }
        ],
    )


if __name__ == "__main__":
    main()
