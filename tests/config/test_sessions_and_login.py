import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "secret-pass-123"
DIRECTORY = "coordination:organisation_list"


def _login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_page_is_swedish_and_logs_in(client):
    user = UserFactory()
    page = client.get(reverse("login")).content.decode()
    assert "Logga in i Kardborre" in page
    response = _login(client, user.username)
    assert response.status_code == 302
    assert client.get(reverse(DIRECTORY)).status_code == 200


def test_wrong_password_shows_an_error_and_does_not_log_in(client):
    user = UserFactory()
    response = _login(client, user.username, "wrong")
    assert response.status_code == 200
    assert "korrekt användarnamn och lösenord" in response.content.decode()
    assert client.get(reverse(DIRECTORY)).status_code == 302


def test_session_key_rotates_at_login(client):
    user = UserFactory()
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    _login(client, user.username)
    assert client.session.session_key != before


def test_lockout_after_repeated_failures(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    for _ in range(3):
        _login(client, user.username, "wrong")
    response = _login(client, user.username)  # even the right password is refused now
    assert response.status_code == 429
    assert "För många misslyckade försök" in response.content.decode()
    assert client.get(reverse(DIRECTORY)).status_code == 302
    # another user from the same address is not locked out
    other = UserFactory()
    assert _login(client, other.username).status_code == 302


def test_logout_ends_the_session_on_the_server(client):
    user = UserFactory()
    _login(client, user.username)
    cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # replaying the old cookie does not help
    assert client.get(reverse(DIRECTORY)).status_code == 302


def test_idle_timeout_logs_out(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    user = UserFactory()
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        _login(client, user.username)
        assert client.get(reverse(DIRECTORY)).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse(DIRECTORY)).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get(reverse(DIRECTORY))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_deactivated_user_is_out_on_the_next_request(client):
    user = UserFactory()
    _login(client, user.username)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(reverse(DIRECTORY)).status_code == 302


def test_security_headers(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_oidc_backend_matches_on_hsa_id(settings):
    settings.OIDC_RP_CLIENT_ID = "kardborre"
    settings.OIDC_RP_CLIENT_SECRET = "x"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.example/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.example/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.example/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_HSA_ID_CLAIM = "hsa_id"
    from django.core.exceptions import SuspiciousOperation

    from coordination.oidc import SithsOIDCBackend

    backend = SithsOIDCBackend()
    claims = {
        "hsa_id": "SE2321000016-ABCD",
        "given_name": "Karin",
        "family_name": "Berg",
        "email": "karin@example.se",
    }
    user = backend.create_user(claims)
    assert user.username == "SE2321000016-ABCD"
    assert not user.memberships.exists()  # access is granted by an administrator
    assert list(backend.filter_users_by_claims(claims)) == [user]
    # an email match alone never signs anyone in
    assert not backend.filter_users_by_claims(
        {"hsa_id": "OTHER", "email": "karin@example.se"}
    ).exists()
    with pytest.raises(SuspiciousOperation):
        backend.filter_users_by_claims({"email": "karin@example.se"})


def test_swedish_by_default_whatever_the_browser_says_and_english_on_request(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Logga in i Kardborre" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login")).content.decode()
    assert "Log in to Kardborre" in page
