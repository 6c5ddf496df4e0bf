"""The embedded demo database (SQLite, make demo): web, worker and beat write one file at
once, so it runs in WAL mode, takes its write lock when a transaction starts and waits
for a busy lock instead of failing with "database is locked"."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "from django.db import connection; c = connection.cursor(); "
    "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
    "c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0]); "
    "print(connection.settings_dict['OPTIONS']['transaction_mode'])"
)


def test_the_demo_sqlite_database_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(DEBUG="true", KARDBORRE_VAR_DIR=str(tmp_path))
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["wal", "20000", "IMMEDIATE"]
