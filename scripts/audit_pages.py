"""Lighthouse over Kardborre's pages, and docs/audit.md (called by scripts/audit.sh).

    audit_pages.py BASE_URL OUT_DIR              run Lighthouse, write OUT_DIR/lighthouse.json
    audit_pages.py --report OUT_DIR              write docs/audit.md from OUT_DIR

Logged-in pages are audited with the session cookie of a demo user, got through the login
form as a browser gets it.
"""

import datetime
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))
PASSWORD = "kardborre-demo"  # noqa: S105 -- the published demo password
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100}
# (name, user, path); a path "first:<list path>:<pattern>" is the first case linked from a list.
PAGES = [
    ("Login", None, "/konto/login/"),
    ("Inbox", "avd53.sos", "/workflow/inbox/"),
    ("Queue", "avd53.sos", "/workflow/queue/"),
    ("Discharges", "avd53.sos", "/utskrivning/"),
    ("Discharge case", "avd53.sos", r"first:/utskrivning/:/utskrivning/\d+/"),
    ("SIPs", "handlaggare.sodermalm", "/sips/"),
    ("SIP overview", "handlaggare.sodermalm", r"first:/sips/:/sips/\d+/"),
    ("Deviations", "mas.sodermalm", "/deviations/"),
    ("MAS dashboard", "mas.sodermalm", "/oversikt/mas/"),
]
METRICS = [
    ("first-contentful-paint", "FCP"),
    ("largest-contentful-paint", "LCP"),
    ("total-blocking-time", "TBT"),
    ("cumulative-layout-shift", "CLS"),
    ("speed-index", "SI"),
]


def log_in(base, username):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/konto/login/").read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    ).encode()
    request = urllib.request.Request(base + "/konto/login/", data=data)  # noqa: S310
    request.add_header("Referer", base + "/konto/login/")
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"audit: could not log in as {username}")
    return opener, "; ".join(f"{k}={v}" for k, v in cookies.items())


def resolve(base, opener, path):
    if not path.startswith("first:"):
        return path
    _, list_path, pattern = path.split(":", 2)
    html = opener.open(base + list_path).read().decode()
    match = re.search(f'href="({pattern})"', html)
    if not match:
        raise SystemExit(f"audit: no link matching {pattern} on {list_path}")
    return match.group(1)


def run_lighthouse(base, out):
    sessions = {}
    results = []
    for number, (name, user, path) in enumerate(PAGES, start=1):
        headers = {}
        if user:
            if user not in sessions:
                sessions[user] = log_in(base, user)
            opener, cookie = sessions[user]
            path = resolve(base, opener, path)
            headers["Cookie"] = cookie
        print(f"== Lighthouse: {name} ({path}), {RUNS} runs", flush=True)
        runs = []
        for run in range(1, RUNS + 1):
            report = out / f"{number:02d}-{run}.json"
            command = [
                os.environ.get("LIGHTHOUSE", "lighthouse"),
                base + path,
                "--quiet",
                "--output=json",
                f"--output-path={report}",
                "--only-categories=performance,accessibility,best-practices",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                f"--extra-headers={json.dumps(headers)}",
            ]
            # Lighthouse now and then loses the trace of a load (NO_NAVSTART): try again,
            # three times at most, before calling the audit failed.
            for attempt in range(3):
                done = subprocess.run(command, check=False)  # noqa: S603 -- our own command line
                if done.returncode == 0 or attempt == 2:
                    done.check_returncode()
                    break
                print(f"audit: Lighthouse failed on {path}, trying again", flush=True)
            data = json.loads(report.read_text())
            if data.get("runtimeError"):
                raise SystemExit(f"audit: Lighthouse failed on {path}: {data['runtimeError']}")
            if data.get("finalDisplayedUrl", "").rstrip("/").endswith("/konto/login") and user:
                raise SystemExit(f"audit: {path} redirected to the login page")
            runs.append(data)
        # The run with the median performance score stands for the page, as Lighthouse's
        # documentation advises for scores that vary between runs.
        runs.sort(key=lambda d: d["categories"]["performance"]["score"])
        summary = summarise(name, user, path, runs[len(runs) // 2])
        summary["performance_runs"] = [
            round(d["categories"]["performance"]["score"] * 100) for d in runs
        ]
        results.append(summary)
    (out / "lighthouse.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


def summarise(name, user, path, data):
    audits = data["audits"]
    failing = {}
    for key in ("accessibility", "best-practices"):
        refs = data["categories"][key]["auditRefs"]
        failing[key] = sorted(
            audits[ref["id"]]["title"]
            for ref in refs
            if ref["weight"]
            and audits[ref["id"]]["score"] is not None
            and audits[ref["id"]]["score"] < 1
        )
    weights = audits.get("resource-summary", {}).get("details", {}).get("items", [])
    by_type = {item["resourceType"]: item["transferSize"] for item in weights}
    return {
        "name": name,
        "user": user or "(not logged in)",
        "path": path,
        "scores": {k: round(v["score"] * 100) for k, v in data["categories"].items()},
        "metrics": {label: audits[key]["displayValue"] for key, label in METRICS},
        "transfer_kb": {
            kind: round(by_type.get(kind, 0) / 1024) for kind in ("stylesheet", "script", "total")
        },
        "failing": failing,
        "lighthouse": data["lighthouseVersion"],
        "user_agent": data["environment"]["hostUserAgent"],
    }


def dependency_audit(out):
    """pip-audit's verdict in words, and the table of what it found (markdown lines)."""
    report = out / "pip-audit.json"
    error = (out / "pip-audit.err").read_text().strip() if (out / "pip-audit.err").exists() else ""
    if not report.exists() or not report.read_text().strip():
        print(f"pip-audit did not run: {error.splitlines()[-1] if error else 'no output'}")
        return "not run: pip-audit could not reach an advisory database", []
    dependencies = json.loads(report.read_text())["dependencies"]
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        print("pip-audit: the advisory database is not reachable; no package was audited.")
        return (
            f"not run: the advisory database is not reachable from this machine (all "
            f"{len(skipped)} locked packages skipped: {skipped[0]['skip_reason']})",
            [],
        )
    vulnerable = [(d, v) for d in audited for v in d["vulns"]]
    lines = []
    if vulnerable:
        lines += ["| package | version | advisory | fixed in |", "|---|---|---|---|"]
        lines += [
            f"| {d['name']} | {d['version']} | {v['id']} | {', '.join(v['fix_versions'])} |"
            for d, v in vulnerable
        ]
    status = f"{len(audited)} packages audited, {len(vulnerable)} known vulnerabilities" + (
        f", {len(skipped)} skipped ({', '.join(d['name'] for d in skipped)})" if skipped else ""
    )
    return status, lines


def write_report(out):
    status, table = dependency_audit(out)
    results = json.loads((out / "lighthouse.json").read_text())
    lines = [
        "# Audit",
        "",
        f"Written by `make audit` on {datetime.date.today().isoformat()} (scripts/audit.sh). "
        f"Lighthouse {results[0]['lighthouse']}, mobile form factor, simulated throttling "
        "(Lighthouse's defaults), on Debian's Chromium; Kardborre with `DEBUG=false` on "
        "PostgreSQL with the demo data, static files gzipped as in production. Each page is "
        f"audited {RUNS} times and the run with the median performance score is shown (all "
        "performance scores in brackets); the machine is a 2-core one shared with other work, so "
        "total blocking time, and with it the performance score, varies from run to run.",
        "",
        "Targets: performance ≥ 90, accessibility 100, best practices 100.",
        "",
        "| page | user | performance | accessibility | best practices | FCP | LCP | TBT | CLS |"
        " CSS / JS / total transferred |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, m, t = r["scores"], r["metrics"], r["transfer_kb"]
        marks = {k: "" if s[k] >= TARGETS[k] else " ✗" for k in TARGETS}
        lines.append(
            f"| {r['name']} (`{r['path']}`) | {r['user']} "
            f"| {s['performance']}{marks['performance']} "
            f"({', '.join(str(x) for x in r.get('performance_runs', []))}) "
            f"| {s['accessibility']}{marks['accessibility']} "
            f"| {s['best-practices']}{marks['best-practices']} "
            f"| {m['FCP']} | {m['LCP']} | {m['TBT']} | {m['CLS']} "
            f"| {t['stylesheet']} / {t['script']} / {t['total']} KiB |"
        )
    missed = [
        (r["name"], key, r["scores"][key])
        for r in results
        for key in TARGETS
        if r["scores"][key] < TARGETS[key]
    ]
    lines += ["", "## Targets not met", ""]
    if not missed:
        lines.append("None: every page meets every target in this run.")
    for name, key, score in missed:
        lines.append(f"- {name}: {key} {score} (target {TARGETS[key]})")
    findings = sorted(
        {(key, title) for r in results for key, titles in r["failing"].items() for title in titles}
    )
    if findings:
        lines += ["", "Audits that did not pass (accessibility, best practices):", ""]
        lines += [f"- {key}: {title}" for key, title in findings]
    lines += ["", "## Dependencies (pip-audit against uv.lock)", "", f"Result: {status}.", ""]
    if table:
        lines += [*table, ""]
    (ROOT / "docs" / "audit.md").write_text("\n".join(lines) + "\n")


def main():
    if sys.argv[1] == "--report":
        write_report(Path(sys.argv[2]))
    else:
        run_lighthouse(sys.argv[1].rstrip("/"), Path(sys.argv[2]))


if __name__ == "__main__":
    main()
