from types import SimpleNamespace

import pytest

from tests.notifications.factories import ProcessFactory
from workflows.links import case_url


class FakeCase:
    def __init__(self, pk):
        self.pk = pk

    def get_absolute_url(self):
        return f"/lus/arenden/{self.pk}/"


class FakeManager:
    def filter(self, pk):
        return SimpleNamespace(first=lambda: FakeCase(pk))


class FakeFlow:
    process_class = type("FakeProcess", (), {"_default_manager": FakeManager()})


def test_case_url_uses_the_concrete_process_page(settings):
    settings.SITE_URL = "https://kardborre.example.se/"
    process = SimpleNamespace(pk=7, flow_class=FakeFlow)
    assert case_url(process) == "https://kardborre.example.se/lus/arenden/7/"


@pytest.mark.django_db
def test_case_url_of_a_process_without_a_known_flow_is_the_site(settings):
    settings.SITE_URL = "https://kardborre.example.se"
    assert case_url(ProcessFactory()) == "https://kardborre.example.se/"
