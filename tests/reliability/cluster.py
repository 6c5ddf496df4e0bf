"""A small production-like cluster of our own for fault injection.

PostgreSQL (fsync on), Redis (no persistence), an SMTP server, a Celery worker (prefork,
two processes) and Celery beat — each one started here, on free loopback ports, so a
test may kill or restart it. The suite's shared servers (scripts/servers.sh) are never
touched: the schema is copied from the suite's test database with pg_dump.
"""

import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from tests.notifications.smtp import SmtpServer, free_port

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL server binaries not found (scripts/servers.sh installs them)"
        )
    return Path(found[-1]).parent


def wait_for(condition, *, timeout: float, what: str, every: float = 0.05, log=None):
    """Poll a condition (bounded): real processes, so real waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    tail = Path(log).read_text()[-4000:] if log and Path(log).exists() else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")


class Postgres:
    def __init__(self, root: Path):
        self.bin = _pg_bin()
        self.port = free_port()
        self.data = root / "pg" / "data"
        self.log = root / "pg" / "log"
        self.as_pg = []
        (root / "pg").mkdir()
        if os.getuid() == 0:  # PostgreSQL refuses to run as root
            subprocess.run(["id", "postgres"], check=True, capture_output=True)  # noqa: S607
            os.chown(root / "pg", _uid("postgres"), -1)
            os.chmod(root, 0o755)  # noqa: S103 (the postgres user must reach its directory)
            self.as_pg = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://kardborre@127.0.0.1:{self.port}/kardborre"

    def _run(self, *args, **kwargs):
        return subprocess.run([*self.as_pg, *args], check=True, capture_output=True, **kwargs)  # noqa: S603

    def init(self):
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "kardborre",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        self._run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "kardborre",
            "kardborre",
        )  # fmt: skip

    def start(self):
        # fsync on (the default), as in production.
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-o",
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self, mode="fast"):
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self):
        """A crash (immediate stop: no checkpoint, recovery at start) and a start."""
        self.stop("immediate")
        self.start()

    def load_schema_from(self, database: dict):
        """Copy the suite's migrated test database (schema and its baseline rows)."""
        dump = subprocess.run(  # noqa: S603
            [
                str(self.bin / "pg_dump"),
                "-Fc",
                "--no-owner",
                "-h",
                database["HOST"] or "127.0.0.1",
                "-p",
                str(database["PORT"]),
                "-U",
                database["USER"],
                database["NAME"],
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [
                str(self.bin / "pg_restore"),
                "--no-owner",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "kardborre",
                "-d",
                "kardborre",
            ],
            input=dump.stdout,
            check=True,
            capture_output=True,
        )

    def sql(self, query, params=None):
        with psycopg.connect(
            self.url.replace("postgres://", "postgresql://"), autocommit=True
        ) as c:
            cursor = c.execute(query, params)
            return cursor.fetchall() if cursor.description else None


def _uid(name):
    import pwd

    return pwd.getpwnam(name).pw_uid


class Redis:
    def __init__(self, root: Path):
        self.port = free_port()
        self.root = root
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603
            [  # noqa: S607
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=20, what="redis")

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Cluster:
    """Own PostgreSQL, Redis and SMTP; workers and beat started per test."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="kardborre-faults-")
        self.root = Path(self._tmp.name)
        self.pg = Postgres(self.root)
        self.redis = Redis(self.root)
        self.smtp = SmtpServer()
        self.processes: list[subprocess.Popen] = []
        self.env_extra: dict[str, str] = {}

    def start(self, database: dict):
        self.pg.init()
        self.pg.load_schema_from(database)
        tables = self.pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables[0][0] > 20, (database["NAME"], tables)
        self.redis.start()
        self.smtp.start()

    def stop(self):
        for process in self.processes:
            self.kill(process)
        self.smtp.stop()
        self.redis.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg.stop("immediate")
        self._tmp.cleanup()

    def env(self, **extra) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.pg.url,
            CELERY_BROKER_URL=self.redis.url,
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp.port}",
            EMAIL_TIMEOUT="2",
            KARDBORRE_VAR_DIR=str(self.root / "var"),
            PYTHONUNBUFFERED="1",
            # Short versions of the production periods (60 s) so a test takes seconds.
            NOTIFICATIONS_SENDING_LEASE_SECONDS="5",
            NOTIFICATIONS_RETRY_BASE_SECONDS="1",
            NOTIFICATIONS_BATCH_SIZE="10",
            KARDBORRE_SWEEP_PERIOD_SECONDS="2",
            KARDBORRE_BEAT_HEARTBEAT_SECONDS="1",
            # The sweep runs on the real clock: no reminder held to office hours, so
            # the result does not depend on the time of day the tests run.
            KARDBORRE_OFFICE_HOURS="off",
            KARDBORRE_LOCAL_DEADLINES="INSKRIVNING_ACK,UTSKRIVNINGSKLAR_ACK",
            CONN_MAX_AGE="0",
        )
        env.update(self.env_extra)
        env.update(extra)
        return env

    def log(self, name) -> Path:
        return self.root / f"{name}.log"

    def start_worker(self, name="worker", **env) -> subprocess.Popen:
        return self._start(
            name,
            [CELERY, "-A", "config", "worker", "-c", "2", "--loglevel=INFO", "-n", f"{name}@%h"],
            env,
        )

    def start_beat(self, **env) -> subprocess.Popen:
        schedule = self.root / "var" / "beat-schedule"
        return self._start(
            "beat", [CELERY, "-A", "config", "beat", "--loglevel=INFO", "-s", str(schedule)], env
        )

    def _start(self, name, args, env) -> subprocess.Popen:
        log = open(self.log(name), "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(  # noqa: S603
            args,
            cwd=BASE_DIR,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its children
        )
        self.processes.append(process)
        return process

    def kill(self, process, sig=signal.SIGKILL):
        if process.poll() is None:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    # --- The outbox, seen from outside ----------------------------------------------------

    def enqueue(self, n: int, prefix: str) -> list[int]:
        """N reminders as the sweep writes them (rendered at delivery), due now."""
        context = json.dumps(
            {
                "kind": "INSKRIVNING_ACK",
                "due_at": "2026-11-24T11:00:00+00:00",
                "organisation": "Södermalm biståndsenhet äldre",
                "level": 0,
                "overdue": False,
            }
        )
        rows = self.pg.sql(
            'INSERT INTO notifications_outboundemail (idempotency_key, "to", template, context, '
            "subject, body_text, body_html, status, attempts, last_error, next_attempt_at, "
            "created_at) SELECT %s || n, 'person' || n || '@example.se', "
            "'notifications/email/deadline_reminder', %s::jsonb, '', '', '', 'PENDING', 0, '', "
            "now(), now() FROM generate_series(1, %s) AS n RETURNING id",
            [f"{prefix}:", context, n],
        )
        return [row[0] for row in rows]

    def statuses(self, ids) -> dict[str, int]:
        rows = self.pg.sql(
            "SELECT status, count(*) FROM notifications_outboundemail WHERE id = ANY(%s) "
            "GROUP BY status",
            [list(ids)],
        )
        return dict(rows)

    def all_sent(self, ids) -> bool:
        try:
            return self.statuses(ids) == {"SENT": len(ids)}
        except psycopg.OperationalError:
            return False

    def received(self, ids) -> dict[str, int]:
        """Messages the SMTP server accepted per outbox row (header X-Kardborre-Outbox-Id)."""
        wanted = {str(i) for i in ids}
        counts: dict[str, int] = {}
        for message in list(self.smtp.sink.messages):
            key = message["X-Kardborre-Outbox-Id"]
            if key in wanted:
                counts[key] = counts.get(key, 0) + 1
        return counts
