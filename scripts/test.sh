#!/usr/bin/env bash
# The whole test suite against real, throwaway PostgreSQL and Redis servers.
# Installs the server packages through apt when they are missing, starts both on free
# loopback ports in a temporary directory, runs lint, checks and pytest, stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
if [ -n "${KARDBORRE_ONLY_PYTEST:-}" ]; then
  "$BIN/python" -m pytest "$@"
  exit
fi
echo "== ruff"
"$BIN/ruff" check .
"$BIN/ruff" format --check .
echo "== manage.py check / makemigrations --check"
"$BIN/python" manage.py check --fail-level WARNING
"$BIN/python" manage.py makemigrations --check --dry-run
echo "== manage.py check --deploy (production settings)"
env DEBUG=false KARDBORRE_HTTPS=true KARDBORRE_REQUIRE_SECRET_KEY=true ALLOWED_HOSTS=kardborre.example.se \
  SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(64))')" \
  "$BIN/python" manage.py check --deploy --fail-level WARNING
echo "== pytest"
"$BIN/python" -m pytest "$@"
