"""Sign-in with SITHS through OpenID Connect, end to end against a provider served over
HTTP on the loopback (tests/config/oidc_provider.py): the login button, the redirect to
the IdP, the code exchange, the signed ID token, the claims mapped to the user, memberships
matched by the unit's HSA-id (never created), and logout at the IdP."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import reverse

from coordination.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

from .oidc_provider import FakeProvider

pytestmark = pytest.mark.django_db
User = get_user_model()
HSA_ID = "SE2321000016-ABCD"
UNIT = "SE2321000016-UNIT1"
CLAIMS = {
    "sub": "199001012389-sub",
    "hsa_id": HSA_ID,
    "given_name": "Sara",
    "family_name": "Sjöberg",
    "email": "sara.sjoberg@regionstockholm.se",
    "unit_hsa_id": UNIT,
}


@pytest.fixture
def provider(settings):
    with FakeProvider(claims=dict(CLAIMS)) as op:
        for name, value in op.settings().items():
            setattr(settings, name, value)
        backends = list(settings.AUTHENTICATION_BACKENDS)
        settings.AUTHENTICATION_BACKENDS = [
            backends[0],
            "coordination.oidc.SithsOIDCBackend",
            *backends[1:],
        ]
        yield op


def sign_in(client, op, next_url="/sips/"):
    """The browser's part: our redirect to the IdP, the IdP's back to our callback."""
    start = client.get(reverse("oidc_authentication_init"), {"next": next_url})
    assert start.status_code == 302
    assert start["Location"].startswith(f"{op.base}/authorize?")
    sent = parse_qs(urlparse(start["Location"]).query)
    assert sent["client_id"] == [op.client_id] and "openid" in sent["scope"][0].split()
    assert sent["code_challenge_method"] == ["S256"] and sent["nonce"][0]
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_idp.status_code == 302
    back = urlparse(at_idp.headers["Location"])
    assert (back.netloc, back.path) == ("testserver", reverse("oidc_authentication_callback"))
    return client.get(f"{back.path}?{back.query}")


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_without_configuration_there_is_no_siths_sign_in(client):
    page = client.get(reverse("login")).content.decode()
    assert "Logga in med SITHS-kort" not in page
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404


def test_first_sign_in_creates_the_user_by_hsa_id_without_memberships(client, provider):
    page = client.get(reverse("login") + "?next=/sips/").content.decode()
    assert "Logga in med SITHS-kort" in page
    assert f'href="{reverse("oidc_authentication_init")}?next=/sips/"' in page

    response = sign_in(client, provider)

    assert response.status_code == 302 and response["Location"] == "/sips/"
    user = signed_in_user(client)
    assert (user.username, user.first_name, user.last_name) == (HSA_ID, "Sara", "Sjöberg")
    assert not Membership.objects.filter(user=user).exists()  # an administrator grants access
    token_call = [r for r in provider.requests if r[:2] == ("POST", "/token")]
    assert token_call and token_call[0][2]["grant_type"] == "authorization_code"


def test_memberships_are_matched_by_the_units_hsa_id(client, provider, settings):
    settings.OIDC_UNIT_HSA_ID_CLAIM = "unit_hsa_id"
    user = UserFactory(username=HSA_ID, email="old@example.se")
    other_unit = OrganisationFactory(hsa_id="SE2321000016-OTHER")
    MembershipFactory(user=user, organisation=other_unit)
    memberships_before = Membership.objects.count()

    # A commission for a unit the user has no membership of: no access.
    response = sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user(client) is None
    page = client.get(response["Location"]).content.decode()
    assert "saknar ditt medarbetaruppdrag behörighet" in page
    assert Membership.objects.count() == memberships_before  # never created from claims

    # Once an administrator adds the membership, the same commission signs in.
    MembershipFactory(user=user, organisation=OrganisationFactory(hsa_id=UNIT))
    response = sign_in(client, provider)
    assert response["Location"] == "/sips/"
    assert signed_in_user(client) == user
    user.refresh_from_db()
    assert user.email == CLAIMS["email"]  # claims update the user's name and address


def test_users_are_matched_on_hsa_id_never_on_email(client, provider):
    same_email = UserFactory(username="someone-else", email=CLAIMS["email"])
    owner = UserFactory(username=HSA_ID, email="sara@old.example.se")
    sign_in(client, provider)
    assert signed_in_user(client) == owner
    assert User.objects.filter(email=CLAIMS["email"]).count() == 2
    assert same_email.pk != owner.pk


@pytest.mark.parametrize(
    "spoil",
    [
        "audience",
        "signature",
        "no_hsa_id",
        "low_assurance",
        "other_subject",
        "inactive_user",
    ],
)
def test_refused_sign_ins_create_no_session(client, provider, settings, spoil):
    settings.OIDC_ACCEPTED_ACR = ["http://id.elegnamnden.se/loa/1.0/loa3"]
    if spoil == "audience":
        provider.audience = "another-client"
    elif spoil == "signature":
        provider.sign_with_other_key = True
    elif spoil == "no_hsa_id":
        del provider.claims["hsa_id"]
    elif spoil == "low_assurance":
        provider.id_token_extra = {"acr": "http://id.elegnamnden.se/loa/1.0/loa2"}
    elif spoil == "other_subject":
        provider.id_token_extra = {"sub": "someone-else"}
    elif spoil == "inactive_user":
        UserFactory(username=HSA_ID, is_active=False)
    users_before = User.objects.count()
    response = sign_in(client, provider)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user(client) is None
    assert (
        "Inloggningen med SITHS-kort misslyckades" in client.get(reverse("login")).content.decode()
    )
    assert User.objects.count() == users_before


def test_a_replayed_callback_is_refused(client, provider):
    start = client.get(reverse("oidc_authentication_init"))
    at_idp = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlparse(at_idp.headers["Location"])
    assert client.get(f"{back.path}?{back.query}")["Location"] == "/"
    client.logout()
    again = client.get(f"{back.path}?{back.query}")  # the state was used up
    assert again.status_code in (302, 400)
    assert signed_in_user(client) is None


def test_logout_ends_the_session_at_the_idp_too(client, provider):
    sign_in(client, provider)
    id_token = client.session["oidc_id_token"]
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.base}/logout"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver" + reverse("login")]
    assert signed_in_user(client) is None
    assert requests.get(response["Location"], timeout=10).json() == {"logged_out": True}


def test_password_logout_stays_local(client, provider):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


def test_a_half_configured_idp_fails_the_system_check(provider, settings):
    from coordination.oidc import check_oidc_settings

    assert check_oidc_settings() == []
    settings.OIDC_OP_JWKS_ENDPOINT = ""
    [error] = check_oidc_settings()
    assert error.id == "kardborre.E101" and "OIDC_OP_JWKS_ENDPOINT" in error.msg
