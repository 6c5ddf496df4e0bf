#!/usr/bin/env bash
# Production smoke test: the app under gunicorn with DEBUG=false serves the login page and
# whitenoise's compressed, hashed static files (scripts/smoke_check.py); the Dockerfile is
# linted (hadolint) and compose.yaml validated (`docker compose config` where Docker
# Compose works, else the compose-spec JSON schema).
# Run by `make test` on its throwaway servers; alone: bash scripts/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -z "${KARDBORRE_TEST_SERVERS:-}" ]; then
  # shellcheck source=scripts/servers.sh
  source scripts/servers.sh
fi

echo "== Dockerfile (hadolint)"
"$BIN/hadolint" --failure-threshold warning Dockerfile
echo "== compose.yaml"
if docker compose version >/dev/null 2>&1; then
  POSTGRES_PASSWORD=x SECRET_KEY=x docker compose -f compose.yaml config --quiet
  echo "docker compose config: ok"
else
  "$BIN/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
  "$BIN/python" scripts/compose_check.py compose.yaml
fi

echo "== gunicorn with DEBUG=false"
smoke=$(mktemp -d)
gunicorn_pid=""
stop_smoke() {
  if [ -n "$gunicorn_pid" ]; then kill "$gunicorn_pid" 2>/dev/null || true; wait "$gunicorn_pid" 2>/dev/null || true; fi
  rm -rf "$smoke"
}
trap 'stop_smoke; if declare -F cleanup >/dev/null; then cleanup; fi' EXIT
export DEBUG=false ALLOWED_HOSTS=127.0.0.1 LOG_FORMAT=json
SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY STATIC_ROOT="$smoke/static"
# The production storage, on our own files: hashing and compressing viewflow's and the
# admin's 50 MB takes minutes of CPU (the image build does it, see Dockerfile).
"$BIN/python" manage.py collectstatic --noinput -v0 --ignore 'viewflow/*' --ignore 'admin/*'
# Readiness needs the schema and a beat younger than KARDBORRE_BEAT_MAX_AGE_SECONDS: migrate
# the throwaway database and record one beat tick, as the beat process would.
"$BIN/python" manage.py migrate --noinput -v0
"$BIN/python" manage.py shell -c "from django.utils import timezone; from workflows.models import Heartbeat; from workflows.services import heartbeat_record; heartbeat_record(name=Heartbeat.Name.BEAT, at=timezone.now())"
port=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN/gunicorn" -c config/gunicorn.conf.py --bind "127.0.0.1:$port" --workers 2 config.wsgi \
  >"$smoke/gunicorn.log" 2>&1 &
gunicorn_pid=$!
for _ in $(seq 1 300); do  # up to 30 s for the workers to boot
  if "$BIN/python" -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
  kill -0 "$gunicorn_pid" 2>/dev/null || { cat "$smoke/gunicorn.log"; exit 1; }
  sleep 0.1
done
if ! "$BIN/python" scripts/smoke_check.py "http://127.0.0.1:$port" "$smoke/static"; then
  cat "$smoke/gunicorn.log"
  exit 1
fi
