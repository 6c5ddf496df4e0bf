import pytest
from django.test import Client
from django.urls import get_resolver

from .factories import build_world


@pytest.fixture
def w(db):
    return build_world()


@pytest.fixture
def login():
    def _login(user):
        get_resolver().url_patterns  # noqa: B018 (load the site's URLs)
        client = Client()
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _answer_days(settings):
    settings.DEVIATION_ANSWER_DAYS = 60
