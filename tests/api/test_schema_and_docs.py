"""The OpenAPI schema and the documentation page: public, no personal data, and the
page loads nothing from outside the site (the content security policy allows none)."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/adt/admit" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"
    admit = schema["components"]["schemas"]["AdmitEvent"]
    assert admit["additionalProperties"] is False


def test_docs_page_uses_only_local_assets_under_the_csp():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources, page[:500]
    assert all(source.startswith("/") for source in sources), sources
    assert "cdn" not in page.lower()
    # Each script and stylesheet it names is one of the site's static files.
    for source in sources:
        if source.endswith((".js", ".css")):
            assert source.startswith(settings.STATIC_URL), source
            assert finders.find(source.removeprefix(settings.STATIC_URL)), source
    assert reverse("api:openapi-json") in page


def test_unknown_api_path_is_a_404_not_a_login_redirect():
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
