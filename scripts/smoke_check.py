"""HTTP checks of the production smoke test (scripts/smoke.sh) against a running gunicorn.

Usage: smoke_check.py BASE_URL STATIC_ROOT
"""

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_until_serving(base, attempts=120):
    """The master listens at once; the workers load the app first (slow on a busy machine)."""
    for _ in range(attempts):  # bounded: up to about two minutes
        try:
            with urllib.request.urlopen(base + "/konto/login/", timeout=1):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(1)
    raise SystemExit("gunicorn did not answer")


def main(base, static_root):
    wait_until_serving(base)
    manifest = json.loads((Path(static_root) / "staticfiles.json").read_text())["paths"]
    css = manifest["kardborre/site.css"]
    assert css != "kardborre/site.css", "static names are not hashed"
    checks = [
        # (path, status, text the body must contain, request headers, response headers)
        ("/konto/login/", 200, "Logga in", {}, {"Content-Security-Policy": "default-src 'self'"}),
        (f"/static/{css}", 200, ".kb-", {}, {"Cache-Control": "immutable"}),
        (f"/static/{css}", 200, None, {"Accept-Encoding": "gzip"}, {"Content-Encoding": "gzip"}),
        (f"/static/{manifest['kardborre/print.js']}", 200, "window.print", {}, {}),
        ("/static/kardborre/finns-inte.css", 404, None, {}, {}),
        # For the load balancer: alive, and ready (database, broker, migrations, beat).
        ("/health/live", 200, '"ok"', {}, {}),
        ("/health/ready", 200, '"status": "ok"', {}, {}),
    ]
    failures = []
    for path, status, text, headers, expected_headers in checks:
        got, got_headers, body = fetch(base + path, headers)
        problems = []
        if got != status:
            problems.append(f"status {got}, expected {status}")
        if text and text not in body.decode("utf-8", "replace"):
            problems.append(f"body lacks {text!r}")
        for name, part in expected_headers.items():
            if part not in got_headers.get(name, ""):
                problems.append(f"{name}: {got_headers.get(name)!r} lacks {part!r}")
        print(f"{'ok ' if not problems else 'FAIL'} {path} {'; '.join(problems)}")
        if problems:
            failures.append(path)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
