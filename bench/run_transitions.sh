#!/usr/bin/env bash
# The transitions benchmark: throwaway PostgreSQL and Redis started as for the tests
# (scripts/servers.sh) with fsync on, then bench/transitions_bench.py (a 10-step
# discharge through the services vs raw UPDATE + INSERT). Writes bench/TRANSITIONS.md.
# Arguments go to bench/transitions_bench.py (e.g. --cases 50).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=256MB -c max_wal_size=2GB"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/transitions_bench.py "$@"
