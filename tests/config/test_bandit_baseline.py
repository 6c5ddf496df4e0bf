"""The reviewed bandit baseline (bandit-baseline.json, used by scripts/test.sh): every
accepted finding says in one line why it is accepted, and none is stale."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "bandit-baseline.json"
TARGETS = ["api", "coordination", "workflows", "notifications", "oversight", "config", "manage.py"]


def key(finding):
    return (finding["filename"], finding["test_id"], finding["issue_text"])


def test_every_accepted_finding_has_a_one_line_reason():
    for finding in json.loads(BASELINE.read_text())["results"]:
        reason = finding.get("reason", "").strip()
        assert reason, key(finding)
        assert "\n" not in reason, key(finding)


def test_the_baseline_matches_what_bandit_finds_today(tmp_path):
    """No new finding passes unreviewed, and no accepted finding outlives its code."""
    report = tmp_path / "bandit.json"
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bandit", "--quiet", "--recursive", *TARGETS]
        + ["--exclude", "*/migrations/*", "--format", "json", "--output", str(report)],
        cwd=ROOT,
        check=False,
    )
    found = sorted(key(f) for f in json.loads(report.read_text())["results"])
    accepted = sorted(key(f) for f in json.loads(BASELINE.read_text())["results"])
    assert found == accepted
