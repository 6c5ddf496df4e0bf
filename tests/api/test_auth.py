"""Keys, scopes, revocation, the rate limit, and what a key is not."""

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from api.models import ApiClient
from api.services import api_client_create, api_client_revoke
from coordination import access

from .conftest import ApiClientForTests, admit_body, local

pytestmark = pytest.mark.django_db


def test_no_key_unknown_key_and_malformed_header_are_401(world):
    for key in (None, "kb_000000000000_wrong", "not-a-key"):
        response = ApiClientForTests(key).get("/api/v1/me")
        assert response.status_code == 401
        assert response.json()["type"] == "urn:kardborre:problem:unauthenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")
    # A right prefix with a wrong secret is no key either.
    prefix = world.ward_client.key_prefix
    assert ApiClientForTests(f"kb_{prefix}_guess").get("/api/v1/me").status_code == 401


def test_a_signed_in_session_is_not_a_key(world):
    browser = Client()
    browser.force_login(world.nurse)
    response = browser.get("/api/v1/discharges")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_me_names_the_client(world):
    body = world.ward_api.get("/api/v1/me").json()
    assert body["name"] == "TakeCare avd 1"
    assert body["organisation"] == {"id": world.ward.pk, "name": world.ward.name}


def test_the_key_is_stored_only_as_a_hash(world):
    issued = api_client_create(organisation=world.ward, name="HIS", scopes=["discharge:read"])
    secret = issued.key.rsplit("_", 1)[1]
    stored = ApiClient.objects.get(pk=issued.client.pk)
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    assert ApiClientForTests(issued.key).get("/api/v1/me").status_code == 200


def test_revocation_takes_effect_at_once(world):
    assert world.ward_api.get("/api/v1/me").status_code == 200
    api_client_revoke(client=world.ward_client)
    response = world.ward_api.get("/api/v1/me")
    assert response.status_code == 401
    # Its service user no longer reads anything through the access rule.
    world.ward_client.user.refresh_from_db()
    assert not access.acting_organisations(user=world.ward_client.user).exists()


def test_the_service_user_cannot_sign_in_to_the_pages(world):
    user = world.ward_client.user
    assert not user.has_usable_password()
    assert authenticate(username=user.username, password="") is None


def test_scopes(world):
    issued = api_client_create(organisation=world.ward, name="Read only", scopes=["discharge:read"])
    reader = ApiClientForTests(issued.key)
    assert reader.get("/api/v1/discharges").status_code == 200
    with time_machine.travel(local(2022, 11, 14, 9, 0), tick=False):
        response = reader.post("/api/v1/adt/admit", admit_body(world))
    assert response.status_code == 403
    assert response.json()["type"] == "urn:kardborre:problem:insufficient-scope"
    assert "discharge:write" in response.json()["detail"]
    for path in ("/api/v1/sips", "/api/v1/deviations", "/api/v1/organisations"):
        assert reader.get(path).status_code == 403, path


def test_rate_limit_per_client(world, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    with time_machine.travel(local(2022, 11, 14, 9, 0, 15), tick=False) as clock:
        for _ in range(3):
            assert world.ward_api.get("/api/v1/me").status_code == 200
        refused = world.ward_api.get("/api/v1/me")
        assert refused.status_code == 429
        assert refused.json()["type"] == "urn:kardborre:problem:rate-limited"
        assert refused["Retry-After"] == "45"
        # Another client has its own budget.
        assert world.social_api.get("/api/v1/me").status_code == 200
        clock.move_to(local(2022, 11, 14, 9, 1, 0))
        assert world.ward_api.get("/api/v1/me").status_code == 200


def test_management_command_prints_the_key_once(world, capsys):
    call_command(
        "api_client_create",
        "--organisation",
        str(world.vc.pk),
        "--name",
        "Journal VC",
        "--scope",
        "discharge:read",
        "--scope",
        "directory:read",
    )
    out = capsys.readouterr().out
    key = out.strip().rsplit(" ", 1)[1]
    client = ApiClient.objects.get(name="Journal VC")
    assert client.scopes == ["directory:read", "discharge:read"]
    assert client.created_by is None
    assert ApiClientForTests(key).get("/api/v1/organisations").status_code == 200


def test_admin_issues_and_revokes(world):
    from tests.factories import UserFactory

    admin = UserFactory(username="regionadmin", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        "/admin/api/apiclient/add/",
        {"organisation": world.social.pk, "name": "Lifecare", "scopes": ["deviation:read"]},
        follow=True,
    )
    assert response.status_code == 200
    client = ApiClient.objects.get(name="Lifecare")
    assert client.created_by == admin
    shown = [str(m) for m in response.context["messages"]]
    key = next(m for m in shown if "kb_" in m).rsplit(" ", 1)[1]
    assert ApiClientForTests(key).get("/api/v1/deviations").status_code == 200
    browser.post(
        "/admin/api/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
    )
    client.refresh_from_db()
    assert client.revoked_at is not None and client.revoked_by == admin
    assert ApiClientForTests(key).get("/api/v1/deviations").status_code == 401
