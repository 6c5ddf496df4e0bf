#!/usr/bin/env bash
# make audit: Lighthouse on the login page and the pages of the browser journeys (logged in),
# and the dependency audit (pip-audit) of the lock file. Writes docs/audit.md.
#
# Kardborre runs with production settings (DEBUG=false) on throwaway PostgreSQL and Redis
# (scripts/servers.sh) with the demo data, served by scripts/audit_server.py (gzip, as in
# production). Lighthouse (npm, pinned below) drives the system Chromium: mobile form factor,
# simulated throttling, the defaults of Lighthouse.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
LIGHTHOUSE_VERSION=12.8.2
TOOLS=.tools/audit
OUT=test-artifacts/audit

if [ ! -x /usr/bin/chromium ]; then
  echo "error: make audit needs Chromium (/usr/bin/chromium); make test installs it." >&2
  exit 2
fi
if ! command -v npm >/dev/null; then
  echo "Installing npm ..."
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "error: make audit needs npm (Node.js) for Lighthouse and cannot install it here." >&2
    exit 2
  fi
fi
if [ ! -x "$TOOLS/node_modules/.bin/lighthouse" ] ||
  ! grep -q "\"version\": \"$LIGHTHOUSE_VERSION\"" "$TOOLS/node_modules/lighthouse/package.json"; then
  echo "Installing Lighthouse $LIGHTHOUSE_VERSION ..."
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --silent "lighthouse@$LIGHTHOUSE_VERSION"
fi

# shellcheck source=scripts/servers.sh
source scripts/servers.sh
export DEBUG=false ALLOWED_HOSTS=127.0.0.1,localhost
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" manage.py load_demo_data >/dev/null

port=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN/python" scripts/audit_server.py "$port" >"$tmp/audit-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; cleanup' EXIT INT TERM
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/konto/login/" && break
  sleep 0.2
done

rm -rf "$OUT" && mkdir -p "$OUT"
CHROME_PATH=/usr/bin/chromium LIGHTHOUSE="$TOOLS/node_modules/.bin/lighthouse" \
  "$BIN/python" scripts/audit_pages.py "http://127.0.0.1:$port" "$OUT"

echo "== pip-audit (uv.lock)"
.tools/bin/uv export --frozen --all-groups --no-hashes --no-emit-project --format requirements-txt \
  >"$OUT/requirements.txt"
# Exit status 1 means vulnerabilities or an error; audit_pages.py reads the JSON and says which,
# and whether the advisory database answered at all (a mirror without it skips every package).
"$BIN/pip-audit" --requirement "$OUT/requirements.txt" --no-deps --disable-pip \
  --progress-spinner off --format json --output "$OUT/pip-audit.json" 2>"$OUT/pip-audit.err" || true
"$BIN/python" scripts/audit_pages.py --report "$OUT"
echo "Written: docs/audit.md"
