#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis servers for scripts/test.sh and scripts/bench.sh.
# Source it (from the repository root, with BIN set): installs the server packages
# through apt when they are missing, starts both on free loopback ports in a temporary
# directory, exports DATABASE_URL, CELERY_BROKER_URL, REDIS_URL, KARDBORRE_VAR_DIR and a
# throwaway SECRET_KEY, and stops them (trap) when the sourcing script exits.
# PG_SERVER_OPTIONS: extra postgres options (default: no fsync, for fast tests).
PG_SERVER_OPTIONS=${PG_SERVER_OPTIONS-"-c fsync=off -c synchronous_commit=off -c full_page_writes=off"}

need_install=()
pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do
  [ -x "$dir/initdb" ] && pg_bin="$dir"
done
[ -n "$pg_bin" ] || need_install+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "Installing ${need_install[*]} ..."
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
  else
    echo "error: make test needs PostgreSQL and Redis servers (${need_install[*]} missing) and cannot install them here (no apt-get/root)." >&2
    exit 2
  fi
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && pg_bin="$dir"; done
fi

tmp=$(mktemp -d /tmp/kardborre-test.XXXXXX)
chmod 755 "$tmp"
free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
redis_port=$(free_port)

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  mkdir -p "$tmp/pg" && chown postgres "$tmp/pg"
  as_pg=(runuser -u postgres --)
else
  mkdir -p "$tmp/pg"
fi

cleanup() {
  set +e
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1
  [ -f "$tmp/redis.pid" ] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"${as_pg[@]}" "$pg_bin/initdb" -D "$tmp/pg/data" -U kardborre --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
  -o "-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1 $PG_SERVER_OPTIONS -c max_connections=200" start >/dev/null
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log" --dir "$tmp"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://kardborre@127.0.0.1:$pg_port/kardborre"
export CELERY_BROKER_URL="redis://127.0.0.1:$redis_port/0"
export REDIS_URL="redis://127.0.0.1:$redis_port/1"
export KARDBORRE_VAR_DIR="$tmp/var"
export KARDBORRE_TEST_SERVERS=1
# Production-like settings (DEBUG off) need a secret key: a fresh one per run.
SECRET_KEY="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(64))')"
export SECRET_KEY
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U kardborre kardborre

echo "== PostgreSQL on :$pg_port, Redis on :$redis_port"
