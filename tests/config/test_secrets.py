"""Secrets fail closed: outside DEBUG=true the project refuses to start without them.

Each case starts ``manage.py check`` in a fresh interpreter with a controlled
environment, exactly as a deployment would start it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "-Qz9#" + "x" * 40
OIDC = {
    "OIDC_RP_CLIENT_ID": "kardborre",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example.se/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example.se/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example.se/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example.se/jwks",
}


def start(tmp_path, *command, **overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
        and not key.startswith("OIDC_")
    }
    env["KARDBORRE_VAR_DIR"] = str(tmp_path)
    env.update(overrides)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *(command or ("check",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("debug", [None, "false", "0"])
def test_production_without_secret_key_refuses_to_start(tmp_path, debug):
    overrides = {} if debug is None else {"DEBUG": debug}
    result = start(tmp_path, **overrides)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "System check identified no issues" not in result.stdout


def test_empty_secret_key_counts_as_missing(tmp_path):
    result = start(tmp_path, DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_secret_key_starts(tmp_path):
    result = start(tmp_path, DEBUG="false", SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_demo_key_only_with_debug(tmp_path):
    result = start(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_oidc_without_client_secret_refuses_to_start_even_with_debug(tmp_path):
    for debug in ("false", "true"):
        result = start(tmp_path, DEBUG=debug, SECRET_KEY=STRONG_KEY, **OIDC)
        assert result.returncode != 0, debug
        assert "OIDC_RP_CLIENT_SECRET is not set" in result.stderr, debug


def test_oidc_with_client_secret_starts(tmp_path):
    result = start(
        tmp_path, DEBUG="false", SECRET_KEY=STRONG_KEY, OIDC_RP_CLIENT_SECRET="s3cr3t", **OIDC
    )
    assert result.returncode == 0, result.stderr


def test_no_switch_can_bring_back_the_demo_key(tmp_path):
    """The old opt-in switch is gone: setting it to false does not reopen the demo key."""
    result = start(tmp_path, DEBUG="false", KARDBORRE_REQUIRE_SECRET_KEY="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_code_only_commands_run_without_a_secret(tmp_path):
    """makemigrations reads the code only: a random key for the process, nothing to forge."""
    result = start(tmp_path, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("command", ["check", "migrate", "runserver"])
def test_commands_that_serve_or_touch_data_still_refuse(tmp_path, command):
    result = start(tmp_path, command)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
