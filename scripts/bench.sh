#!/usr/bin/env bash
# The deadline sweep benchmark (make bench): throwaway PostgreSQL and Redis as
# for the tests, but with fsync and synchronous commit on; writes bench/SWEEP.md.
# Arguments go to bench/sweep_bench.py (e.g. --open 200000 --due 1000,10000 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=1GB -c work_mem=16MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c wal_compression=on"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/sweep_bench.py "$@"
