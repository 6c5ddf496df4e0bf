#!/usr/bin/env bash
# The email delivery benchmark: throwaway PostgreSQL and Redis started as for the tests
# (scripts/servers.sh) with fsync on, then bench/delivery_bench.py (project vs raw
# smtplib into the same local SMTP sink). Writes bench/DELIVERY.md. Arguments go to
# bench/delivery_bench.py (e.g. --emails 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_SERVER_OPTIONS="-c shared_buffers=256MB -c max_wal_size=2GB"

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" bench/delivery_bench.py "$@"
