#!/usr/bin/env bash
# The MAS dashboard benchmark: throwaway PostgreSQL and Redis started as for the tests
# (scripts/servers.sh) but with fsync on, then bench/dashboard_bench.py, which fills
# 100,000 cases and 20,000 deviations and times the default dashboard view.
# Writes bench/DASHBOARD.md. Arguments go to bench/dashboard_bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=1GB -c work_mem=16MB -c max_wal_size=4GB"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/dashboard_bench.py "$@"
