"""The deployment files keep their promises: settings from the environment for Sentinel
and PgBouncer, compose.yaml with exactly one beat and health checks, a non-root
multi-stage Dockerfile (scripts/smoke.sh also lints it and validates the compose file)."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from compose_check import problems  # noqa: E402


def settings_with(**environment):
    """Settings as a fresh process loads them from this environment."""
    code = (
        "import json, django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings';"
        "django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'db': s.DATABASES['default'], 'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS,"
        " 'storage': s.STORAGES['staticfiles']['BACKEND'], 'proxies': s.KARDBORRE_TRUSTED_PROXIES},"
        " default=str))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))}
    env.update(environment)
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_pgbouncer_and_sentinel_come_from_the_environment(tmp_path):
    loaded = settings_with(
        KARDBORRE_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://k:p@pgbouncer:6432/kardborre",
        DATABASE_PGBOUNCER="true",
        CELERY_BROKER_URL="sentinel://s1:26379;sentinel://s2:26379",
        CELERY_BROKER_SENTINEL_MASTER="kardborre",
        CELERY_BROKER_TRANSPORT_OPTIONS='{"sentinel_kwargs": {"password": "x"}}',
        KARDBORRE_TRUSTED_PROXIES="2",
    )
    assert loaded["db"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert loaded["db"]["OPTIONS"]["prepare_threshold"] is None
    # The defaults are kept, the operator's options added, nothing overwritten.
    assert loaded["broker"] == {
        "visibility_timeout": 3600,
        "master_name": "kardborre",
        "sentinel_kwargs": {"password": "x"},
    }
    assert loaded["proxies"] == 2
    assert loaded["storage"] == "config.storage.StaticFilesStorage"


def test_without_pgbouncer_server_side_cursors_stay(tmp_path):
    loaded = settings_with(
        KARDBORRE_VAR_DIR=str(tmp_path), DATABASE_URL="postgres://k:p@db:5432/kardborre"
    )
    assert not loaded["db"].get("DISABLE_SERVER_SIDE_CURSORS")
    assert loaded["proxies"] == 0  # no proxy trusted unless configured


@pytest.fixture(scope="module")
def compose():
    return YAML(typ="safe").load((ROOT / "compose.yaml").read_text())


def test_compose_file_is_complete(compose):
    assert problems(compose) == []
    services = compose["services"]
    assert services["web"]["environment"]["DEBUG"] == "false"
    assert "/health/ready" in " ".join(services["web"]["healthcheck"]["test"])


@pytest.mark.parametrize(
    "spoil",
    ["second_beat", "replicas", "no_healthcheck", "debug", "secret_in_file", "no_migrate"],
)
def test_compose_check_catches(compose, spoil):
    broken = copy.deepcopy(compose)
    services = broken["services"]
    if spoil == "second_beat":
        services["worker"]["command"] = ["celery", "-A", "config", "worker", "--beat"]
    elif spoil == "replicas":
        services["beat"]["deploy"]["replicas"] = 2
    elif spoil == "no_healthcheck":
        del services["worker"]["healthcheck"]
    elif spoil == "debug":
        services["web"]["environment"]["DEBUG"] = "true"
    elif spoil == "secret_in_file":
        services["web"]["environment"]["SECRET_KEY"] = "hunter2"
    elif spoil == "no_migrate":
        del services["beat"]["depends_on"]["migrate"]
    assert problems(broken)


def test_dockerfile_is_multi_stage_slim_non_root_with_uv():
    text = (ROOT / "Dockerfile").read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and all("-slim" in line for line in stages)
    assert "uv sync --frozen --no-dev" in text
    assert "collectstatic" in text
    assert "libpango-1.0-0" in text  # WeasyPrint
    users = [line for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] not in ("USER root", "USER 0")
    assert "HEALTHCHECK" in text
