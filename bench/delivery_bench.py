"""Email delivery benchmark: the project's outbox sender against raw smtplib, same run.

1. A local SMTP sink (aiosmtpd, in its own process) that records the outbox id header of
   every message it accepts, so lost and doubled messages are counted, not assumed.
2. N outbox rows written set-based (INSERT … SELECT generate_series), rendered as
   ``email_enqueue`` renders them (the deadline reminder template).
3. Project: ``notifications.services.outbox_deliver_pending`` in 1 worker process, then
   in 2 worker processes in parallel (the rows reset to PENDING in between).
4. Raw: one smtplib connection sending the same rows' messages (built with the standard
   library's ``email`` package: same headers, text and HTML), no database writes.

Writes bench/DELIVERY.md and bench/out/delivery.json. Not a test: nothing asserts.
"""

import argparse
import asyncio
import datetime as dt
import multiprocessing
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import common
from common import ROOT, Timer, sql

# --- The sink ---------------------------------------------------------------------


def run_sink(port: int, record: str):
    """Accept everything; append each message's outbox id to ``record``."""
    from aiosmtpd.controller import Controller

    out = open(record, "a", buffering=1)  # noqa: SIM115 (lives as long as the process)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            content = envelope.content
            start = content.find(b"X-Kardborre-Outbox-Id: ")
            end = content.find(b"\n", start)
            out.write(content[start + 23 : end].strip().decode() + "\n")
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.new_event_loop().run_until_complete(asyncio.Event().wait())
    finally:
        controller.stop()


def start_sink(port: int, record: Path) -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [sys.executable, __file__, "--sink", str(port), str(record)],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the SMTP sink did not start")


def received(record: Path) -> list[str]:
    time.sleep(0.3)  # the sink writes after its 250
    return [line for line in record.read_text().splitlines() if line]


# --- Data -------------------------------------------------------------------------


def fill(count: int):
    from notifications import catalogue
    from notifications.services import _base_context, _render

    context = _base_context()
    context.update(
        {
            "kind_label": "Kvittera inskrivningsmeddelandet",
            "due_at": dt.datetime(2026, 11, 23, 11, tzinfo=dt.UTC),
            "organisation": "Södermalm biståndsenhet äldre",
        }
    )
    subject, text, html = _render(catalogue.DEADLINE_REMINDER, context)
    sql("TRUNCATE notifications_outboundemail")
    sql(
        """
        INSERT INTO notifications_outboundemail (
            idempotency_key, "to", template, context, subject, body_text, body_html,
            rendered_at, status, attempts, last_error, next_attempt_at, created_at)
        SELECT 'bench:' || g, 'person' || g || '@example.se', %s, '{}'::jsonb, %s, %s, %s,
               now(), 'PENDING', 0, '', now() - interval '1 minute', now()
        FROM generate_series(1, %s) AS g
        """,
        [catalogue.DEADLINE_REMINDER, subject, text, html, count],
    )
    common.vacuum("notifications_outboundemail")


def reset():
    sql(
        "UPDATE notifications_outboundemail SET status = 'PENDING', attempts = 0, "
        "claimed_at = NULL, sent_at = NULL, next_attempt_at = now() - interval '1 minute'"
    )
    common.vacuum("notifications_outboundemail")


# --- Runs -------------------------------------------------------------------------


def _worker(count: int, queue):
    from django.db import connection

    from notifications.services import outbox_deliver_pending

    connection.close()  # a fresh connection in the forked process
    queue.put(outbox_deliver_pending(limit=count, seconds=float("inf")))


def project(count: int, workers: int) -> dict:
    from django.db import connection

    connection.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_worker, args=(count, queue)) for _ in range(workers)]
    with Timer() as timer:
        for process in processes:
            process.start()
        sent = sum(queue.get() for _ in processes)
        for process in processes:
            process.join()
    return {"workers": workers, "sent": sent, "seconds": timer.seconds}


def raw(count: int, port: int) -> dict:
    from django.conf import settings

    rows = sql(
        'SELECT id, "to", subject, body_text, body_html, idempotency_key '
        "FROM notifications_outboundemail ORDER BY id LIMIT %s",
        [count],
    )
    with Timer() as timer:
        smtp = smtplib.SMTP("127.0.0.1", port)
        for pk, to, subject, text, html, key in rows:
            message = EmailMessage()
            message["Subject"] = subject
            message["From"] = settings.DEFAULT_FROM_EMAIL
            message["To"] = to
            message["Date"] = formatdate(localtime=True)
            message["Message-ID"] = f"<{key}@kardborre.local>"
            message["X-Kardborre-Outbox-Id"] = str(pk)
            message["Auto-Submitted"] = "auto-generated"
            message.set_content(text)
            message.add_alternative(html, subtype="html")
            smtp.send_message(message)
        smtp.quit()
    return {"sent": len(rows), "seconds": timer.seconds}


def check(record: Path, count: int) -> dict:
    ids = received(record)
    sent_rows = sql("SELECT count(*) FROM notifications_outboundemail WHERE status = 'SENT'")[0][0]
    return {
        "received": len(ids),
        "distinct": len(set(ids)),
        "lost": count - len(set(ids)),
        "doubled": len(ids) - len(set(ids)),
        "rows_sent": sent_rows,
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--sink":
        run_sink(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=3000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "DELIVERY.md"))
    args = parser.parse_args()
    port = _free_port()
    common.setup_django(EMAIL_URL=f"smtp://127.0.0.1:{port}")
    import logging

    logging.getLogger("notifications").setLevel(logging.WARNING)
    record = Path(tempfile.mkdtemp()) / "sink.txt"
    record.write_text("")
    sink = start_sink(port, record)
    try:
        fill(200)  # warm-up: imports, templates, connections
        project(200, 1)
        raw(200, port)
        print(f"Writing {args.emails:,} outbox rows …", flush=True)
        fill(args.emails)
        results = {}
        for label, runner in [
            ("raw", lambda: raw(args.emails, port)),
            ("project, 1 worker", lambda: project(args.emails, 1)),
            ("project, 2 workers", lambda: project(args.emails, 2)),
        ]:
            record.write_text("")
            reset()
            result = runner()
            result.update(check(record, args.emails) if label != "raw" else {})
            result["per_second"] = result["sent"] / result["seconds"]
            results[label] = result
            print(f"  {label}: {result}", flush=True)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    write(Path(args.out), args.emails, results)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write(path: Path, count: int, results: dict):
    raw_rate = results["raw"]["per_second"]
    one = results["project, 1 worker"]
    two = results["project, 2 workers"]
    ratio = one["per_second"] / raw_rate
    info = common.machine()
    lines = [
        "# Email delivery benchmark",
        "",
        f"Run at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/run_delivery.sh` on a",
        f"{info['nproc']}-core {info['cpu']} shared with other work (load {info['load']}),",
        f"PostgreSQL {info['postgresql']} ({info['pg_settings']}).",
        "Absolute numbers vary with the machine's load; the ratio is taken in one run.",
        "",
        f"{count:,} outbox rows (rendered deadline reminders: subject, text and HTML),",
        "written set-based, delivered to a local aiosmtpd sink in its own process that",
        "records the outbox id of every message it accepts.",
        "",
        "| Run | Sent | Seconds | Emails/s | Received by the sink | Lost | Doubled |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, r in results.items():
        lines.append(
            f"| {label} | {r['sent']:,} | {r['seconds']:.2f} | {r['per_second']:,.0f} | "
            f"{r.get('received', r['sent']):,} | {r.get('lost', '-')} | {r.get('doubled', '-')} |"
        )
    lines += [
        "",
        f"Project, one worker process, against raw smtplib: **{ratio:.2f}×** (target ≥ 0.8×).",
        f"Two worker processes together: {two['per_second'] / one['per_second']:.2f}× one "
        "worker (on two cores that also run PostgreSQL and the sink).",
        "",
        "Raw: one `smtplib.SMTP` connection, each message built with `email.message` (same",
        "headers, text and HTML) and sent; no database. Project: `outbox_deliver_pending`,",
        "which claims batches of `NOTIFICATIONS_BATCH_SIZE` rows with `SELECT … FOR UPDATE",
        "SKIP LOCKED`, sends each over one SMTP connection per batch and records each",
        "row's outcome right after the server's 250.",
        "",
    ]
    path.write_text("\n".join(lines))
    common.write_summary(
        "delivery",
        [
            {
                "what": "email delivery, 1 worker",
                "project": f"{one['per_second']:,.0f}/s",
                "raw": f"{raw_rate:,.0f}/s",
                "ratio": round(ratio, 2),
                "target": "≥ 0.8× raw",
                "met": ratio >= 0.8 and one["lost"] == 0 and one["doubled"] == 0,
            },
            {
                "what": "email delivery, 2 workers",
                "project": f"{two['per_second']:,.0f}/s",
                "raw": f"{raw_rate:,.0f}/s",
                "ratio": round(two["per_second"] / raw_rate, 2),
                "target": "none lost or doubled",
                "met": two["lost"] == 0 and two["doubled"] == 0,
            },
        ],
    )


if __name__ == "__main__":
    main()
