"""Sign-in through the regional IdP (OpenID Connect; SITHS-based identities).

Enabled when ``OIDC_RP_CLIENT_ID`` is set; Django's own login stays for the demo and tests.

- Users are matched on their **HSA-id** (claim ``OIDC_HSA_ID_CLAIM``), never on email: an
  email address can move between people, an HSA-id cannot. The HSA-id is the user name.
- A new user is created **without any membership**. Access to organisations is granted by an
  administrator (PDL 4 kap. 2 §: access is assigned per person after a needs-and-risk
  analysis); claims never create memberships.
- When the IdP names the unit of the chosen commission (medarbetaruppdrag; claim
  ``OIDC_UNIT_HSA_ID_CLAIM``), sign-in succeeds only if the user holds an active membership
  of an organisation with that HSA-id: an unknown commission gives no access.
- The ID token's signature, audience, issuer (``OIDC_OP_ISSUER``), expiry and nonce are
  checked; an assurance level (``acr``) outside ``OIDC_ACCEPTED_ACR`` is refused.
- Logout ends the session here and at the IdP (``OIDC_OP_LOGOUT_ENDPOINT``).
"""

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.checks import Error
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .models import Membership

logger = logging.getLogger(__name__)


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


REQUIRED_SETTINGS = (
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_HSA_ID_CLAIM",
)


def check_oidc_settings(app_configs=None, **kwargs):
    """System check: SITHS sign-in switched on with a setting missing fails at start-up,
    not at the first user's sign-in."""

    if not oidc_enabled():
        return []
    errors = [
        Error(f"OIDC_RP_CLIENT_ID is set but {name} is empty.", id="kardborre.E101")
        for name in REQUIRED_SETTINGS
        if not getattr(settings, name, "")
    ]
    if "coordination.oidc.SithsOIDCBackend" not in settings.AUTHENTICATION_BACKENDS:
        errors.append(
            Error("SithsOIDCBackend is not in AUTHENTICATION_BACKENDS.", id="kardborre.E102")
        )
    return errors


def _claim_values(claims, name: str) -> list[str]:
    if not name:
        return []
    value = claims.get(name)
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


class SithsOIDCBackend(OIDCAuthenticationBackend):
    """OIDC code flow with the HSA-id as the identity (see the module docstring)."""

    def authenticate(self, request, **kwargs):
        if not oidc_enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as error:
            # A refused token or an unreachable IdP: the user is told sign-in failed
            # (SithsCallbackView.login_failure); the reason goes to the log, no claims.
            logger.warning("oidc sign-in refused: %s", error)
            return None

    def _hsa_id(self, claims) -> str:
        values = _claim_values(claims, settings.OIDC_HSA_ID_CLAIM)
        if not values:
            raise SuspiciousOperation("The identity provider sent no HSA-id")
        return values[0]

    def _verify_jws(self, payload, key):
        # The library checks the signature only; audience and issuer are ours to check.
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("Unexpected signing algorithm in the ID token")
        issuer = getattr(settings, "OIDC_OP_ISSUER", "") or None
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=issuer,
                options={"require": ["exp", "iat", "sub"]},
                leeway=getattr(settings, "OIDC_CLOCK_LEEWAY_SECONDS", 60),
            )
        except jwt.PyJWTError as error:
            raise SuspiciousOperation(f"ID token refused: {error.__class__.__name__}") from error

    def verify_claims(self, claims):
        self._hsa_id(claims)
        return True

    def filter_users_by_claims(self, claims):
        # Inactive users are found too, so that they are refused rather than re-created.
        return self.UserModel.objects.filter(username=self._hsa_id(claims))

    def create_user(self, claims):
        user = self.UserModel.objects.create_user(
            username=self._hsa_id(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""),
        )
        logger.info("oidc user created", extra={"user_id": user.pk})
        return user

    def update_user(self, user, claims):
        user.first_name = claims.get("given_name", user.first_name)
        user.last_name = claims.get("family_name", user.last_name)
        user.email = claims.get("email", user.email)
        user.save(update_fields=["first_name", "last_name", "email"])
        return user

    def get_or_create_user(self, access_token, id_token, payload):
        accepted = getattr(settings, "OIDC_ACCEPTED_ACR", [])
        if accepted and payload.get("acr") not in accepted:
            raise SuspiciousOperation("Assurance level (acr) below what is accepted")
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):  # OIDC Core 5.3.2
            raise SuspiciousOperation("The userinfo response is for another subject")
        self.verify_claims(claims)
        existing = self.filter_users_by_claims(claims).first()  # user names are unique
        user = self.update_user(existing, claims) if existing else self.create_user(claims)
        units = _claim_values(claims, getattr(settings, "OIDC_UNIT_HSA_ID_CLAIM", ""))
        if (
            units
            and not Membership.objects.filter(
                user=user, is_active=True, organisation__hsa_id__in=units
            ).exists()
        ):
            logger.warning(
                "oidc sign-in refused: no membership for the commission's unit",
                extra={"user_id": user.pk},
            )
            raise SuspiciousOperation("No membership for the unit of the chosen commission")
        return user


class _OnlyWhenEnabled:
    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class SithsAuthenticationRequestView(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    """Sends the browser to the IdP (state, nonce and PKCE kept in the session)."""


class SithsCallbackView(_OnlyWhenEnabled, OIDCAuthenticationCallbackView):
    """Where the IdP sends the browser back; signs in or explains why not."""

    def login_failure(self):
        messages.error(
            self.request,
            _(
                "Sign-in with the SITHS card failed, or your commission has no access to "
                "Kardborre yet. Ask your administrator for access to your unit."
            ),
        )
        return super().login_failure()


class LoginView(auth_views.LoginView):
    """Django's login form, with the SITHS button when the IdP is configured."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc_enabled()
        return context


class LogoutView(auth_views.LogoutView):
    """Ends the session here and, after an OIDC sign-in, at the IdP too (RP-initiated
    logout: ``id_token_hint`` and ``post_logout_redirect_uri``)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        endpoint = getattr(settings, "OIDC_OP_LOGOUT_ENDPOINT", "")
        if id_token and endpoint and oidc_enabled():
            query = urlencode(
                {
                    "id_token_hint": id_token,
                    "client_id": settings.OIDC_RP_CLIENT_ID,
                    "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
                }
            )
            return HttpResponseRedirect(f"{endpoint}?{query}")
        return response
