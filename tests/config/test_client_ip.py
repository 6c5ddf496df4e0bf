"""The client address from a configured number of trusted proxies: a forged
X-Forwarded-For changes neither the access log nor the login lockout."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from coordination.client_ip import client_ip
from coordination.models import AccessLog
from tests.factories import MembershipFactory, UserFactory

rf = RequestFactory()


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        (0, "81.2.69.142", "6.6.6.6", "81.2.69.142"),  # no proxy: the header is ignored
        (1, "10.0.0.1", "81.2.69.142", "81.2.69.142"),
        (1, "10.0.0.1", "6.6.6.6, 81.2.69.142", "81.2.69.142"),  # forged entry on the left
        (1, "10.0.0.1", "6.6.6.6,7.7.7.7 , 81.2.69.142", "81.2.69.142"),
        (2, "10.0.0.2", "6.6.6.6, 81.2.69.142, 10.0.0.1", "81.2.69.142"),
        (1, "10.0.0.1", "2001:db8::1", "2001:db8::1"),
        (1, "10.0.0.1", None, "10.0.0.1"),  # reached us without passing the proxy
        (2, "10.0.0.2", "81.2.69.142", "81.2.69.142"),  # fewer hops than proxies
        (1, "10.0.0.1", "6.6.6.6, not-an-address", "10.0.0.1"),  # never what the client wrote
        (1, "10.0.0.1", "", "10.0.0.1"),
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.KARDBORRE_TRUSTED_PROXIES = trusted
    assert client_ip(_request(remote, forwarded)) == expected


@pytest.mark.django_db
def test_a_forged_header_does_not_change_the_logged_address(client, settings):
    settings.KARDBORRE_TRUSTED_PROXIES = 1
    mas = MembershipFactory(role="MAS").user
    client.force_login(mas)
    # What the proxy sends on: the client's own (forged) header, then the real address.
    response = client.get(
        reverse("coordination:access_log"),
        {"format": "csv"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 81.2.69.142",
    )
    assert response.status_code == 200
    entry = AccessLog.objects.get(username=mas.username, action="EXPORT")
    assert entry.ip_address == "81.2.69.142"


@pytest.mark.django_db
def test_a_forged_header_does_not_dodge_the_lockout(client, settings):
    settings.KARDBORRE_TRUSTED_PROXIES = 1
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory()
    for n in range(3):
        client.post(
            reverse("login"),
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 81.2.69.142",
        )
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": "secret-pass-123"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 81.2.69.142",
    )
    assert response.status_code == 429
    # The same user from another real address is not locked out by these failures.
    elsewhere = client.post(
        reverse("login"),
        {"username": user.username, "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="81.2.69.143",
    )
    assert elsewhere.status_code == 200
