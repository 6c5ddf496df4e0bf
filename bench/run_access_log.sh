#!/usr/bin/env bash
# The access-log benchmark: throwaway PostgreSQL and Redis started as for the tests
# (scripts/servers.sh) with fsync on, then bench/access_log_bench.py, which fills the
# access log with 10 million rows and times the review page and the CSV export.
# Writes bench/ACCESS_LOG.md. Arguments go to bench/access_log_bench.py (e.g. --rows 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=1GB -c work_mem=16MB -c max_wal_size=4GB"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/access_log_bench.py "$@"
