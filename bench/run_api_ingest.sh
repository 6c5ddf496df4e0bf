#!/usr/bin/env bash
# The API ingest benchmark: throwaway PostgreSQL and Redis started as for the tests
# (scripts/servers.sh) with fsync on, then bench/api_ingest_bench.py, which ingests
# admissions through POST /api/v1/adt/admit and through the same start called directly,
# in the same run. Writes bench/API.md. Arguments go to bench/api_ingest_bench.py
# (e.g. --admissions 500).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=256MB -c max_wal_size=2GB"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/api_ingest_bench.py "$@"
