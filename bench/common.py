"""Shared helpers of the benchmarks: Django set-up, raw SQL, the machine, the summary.

Each benchmark writes its own Markdown file and one JSON summary in bench/out/ (project
figure, raw figure from the same run, ratio, target); bench/summarise.py turns those
into bench/RESULTS.md.
"""

import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def setup_django(**env):
    os.environ.update(env)
    # Rows made due on the real clock: office hours must not hold them in the evening.
    os.environ.setdefault("KARDBORRE_OFFICE_HOURS", "off")
    import django

    django.setup()


def sql(statement, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else cursor.rowcount


def vacuum(*tables):
    from django.db import connection

    connection.ensure_connection()
    previous = connection.connection.autocommit
    connection.connection.autocommit = True
    try:
        with connection.connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}" if tables else "VACUUM ANALYZE")
    finally:
        connection.connection.autocommit = previous


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Timer:
    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


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
        "('shared_buffers', 'fsync', 'synchronous_commit', 'work_mem', 'full_page_writes')"
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "postgresql": sql("SHOW server_version")[0][0].split()[0],
        "pg_settings": ", ".join(
            f"{name}={setting}{unit or ''}" for name, setting, unit in sorted(settings_rows)
        ),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def write_summary(name: str, rows: list[dict], **extra):
    """rows: {what, project, raw, unit, ratio, target, met} for bench/RESULTS.md."""
    OUT.mkdir(exist_ok=True)
    data = {
        "name": name,
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "rows": rows,
        **extra,
    }
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=1, default=str))


def count_queries():
    """A context manager collecting the SQL Django runs (no DEBUG needed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    return CaptureQueriesContext(connection)


def columns_sql(model, given: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT expressions: ``given`` plus a neutral value for every
    other NOT NULL column, so that the bench follows the models as they change."""
    from django.db import models

    columns, values = [], []
    for field in model._meta.local_concrete_fields:
        if field.column in given:
            columns.append(field.column)
            values.append(given[field.column])
        elif field.primary_key and not field.remote_field:
            continue
        elif not field.null:
            if isinstance(field, models.BooleanField):
                value = "false"
            elif isinstance(field, models.DateTimeField):
                value = "now()"
            elif isinstance(field, models.DateField):
                value = "current_date"
            elif isinstance(field, models.JSONField):
                value = "'{}'::jsonb"
            elif isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
                value = "0"
            elif field.default is not models.NOT_PROVIDED and isinstance(field.default, str):
                value = f"'{field.default}'"
            else:
                value = "''"
            columns.append(field.column)
            values.append(value)
    return ", ".join(columns), ", ".join(values)
