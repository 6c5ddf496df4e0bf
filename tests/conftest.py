import os

import pytest
from django.conf import settings


def pytest_configure(config):
    # A test run never falls back to SQLite or an in-memory broker: `make test`
    # starts real PostgreSQL and Redis and says so through these variables.
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql" or not os.environ.get("KARDBORRE_TEST_SERVERS"):
        pytest.exit(
            "The tests run on real PostgreSQL and Redis: use `make test` "
            "(it starts throwaway servers).",
            returncode=2,
        )
    # Production hashes passwords with PBKDF2 (a million rounds, about 0.2 s per hash by
    # design); the tests create hundreds of users and log in through the login page, and
    # what they check does not depend on the hash. Set before the first hash is made, for
    # the whole run, so class-level test data and the live server use it too.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Production's hashed static names need `collectstatic`; tests use the files as they
    # are (scripts/smoke.sh checks the production storage under gunicorn).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Lockout needs the request at authenticate(); Django's test client login() passes
    # none. The lockout tests switch it back on and log in through the login page.
    settings.AXES_ENABLED = False
    # The local deadlines are off by default (README, Deadlines); the suite walks the
    # ladders of every kind, so it switches them on. tests/workflows/test_local_deadlines.py
    # checks the default, in which they are not opened.
    settings.KARDBORRE_LOCAL_DEADLINES = ["INSKRIVNING_ACK", "UTSKRIVNINGSKLAR_ACK"]
