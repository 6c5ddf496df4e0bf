"""Write bench/RESULTS.md from the summaries the benchmarks left in bench/out/ (make bench).

No Django: it only reads the JSON files. Each row: what was measured, the project's
figure, the raw figure of the same run, their ratio, the target and whether it is met.
"""

import datetime as dt
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
ORDER = ["sweep", "transitions", "dashboard", "inbox", "delivery", "access_log", "api_ingest"]
FILES = {
    "sweep": "SWEEP.md",
    "transitions": "TRANSITIONS.md",
    "dashboard": "DASHBOARD.md",
    "inbox": "INBOX.md",
    "delivery": "DELIVERY.md",
    "access_log": "ACCESS_LOG.md",
    "api_ingest": "API.md",
}


def main():
    summaries = {}
    for name in ORDER:
        path = OUT / f"{name}.json"
        if path.exists():
            summaries[name] = json.loads(path.read_text())
    if not summaries:
        raise SystemExit("no benchmark summaries in bench/out/: run make bench")
    machine = next(iter(summaries.values()))["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Written at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/summarise.py` "
        "(the last step of `make bench`) from `bench/out/*.json`.",
        "",
        "## Machine",
        "",
        f"- {machine['nproc']} cores ({machine['cpu']}), {machine['memory']} memory;",
        "  **shared with other work while measured** (load average at the start of each",
        "  benchmark is in its own file): absolute numbers are lower than on a quiet machine.",
        "  What counts is the ratio of project and raw taken in the same run.",
        f"- PostgreSQL {machine['postgresql']}, a throwaway server per benchmark started like",
        "  the test servers (`scripts/servers.sh`) but with fsync and synchronous commit on",
        "  (memory settings per benchmark in its `run_*.sh` and its file); Redis likewise.",
        f"- Python {machine['python']}, Django {machine['django']}.",
        "",
        "## Each figure against its target (issue #15)",
        "",
        "The ratio is put as its target puts it: time of the project over time of raw for the",
        "sweep and the pages (lower is better), throughput of the project over raw for",
        "transitions, delivery and API ingest (higher is better).",
        "",
        "| What | Project | Raw / limit, same run | Ratio (in the target's terms) | Target | Met "
        "| Run at | Details |",
        "|---|---|---|---:|---|---|---|---|",
    ]
    for name, summary in summaries.items():
        for row in summary["rows"]:
            ratio = "" if row.get("ratio") is None else f"{row['ratio']:.2f}×"
            met = "yes" if row["met"] else "**no**"
            lines.append(
                f"| {row['what']} | {row['project']} | {row['raw']} | {ratio} | "
                f"{row['target']} | {met} | {summary['at']} | [{FILES[name]}]({FILES[name]}) |"
            )
    missing = [name for name in ORDER if name not in summaries]
    if missing:
        lines += ["", "Not run this time: " + ", ".join(missing) + "."]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    lines.append("")
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
