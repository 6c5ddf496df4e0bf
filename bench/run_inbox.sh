#!/usr/bin/env bash
# The task queue and inbox benchmark: throwaway PostgreSQL and Redis started as for the tests
# (scripts/servers.sh) with fsync on, then bench/inbox_bench.py (queue and inbox
# pages with 10k tasks vs the same SQL replayed). Writes bench/INBOX.md.
# Arguments go to bench/inbox_bench.py (e.g. --tasks 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=256MB -c max_wal_size=2GB"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/inbox_bench.py "$@"
