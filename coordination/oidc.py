"""Sign-in through the regional IdP (OpenID Connect; SITHS-based identities).

Users are matched on their HSA-id, never on email: an email address can move between
people, an HSA-id cannot. A new user is created without any membership: access to
organisations is granted by an administrator (PDL 4 kap. 2 §: access is assigned per
person after a needs-and-risk analysis), so a first sign-in sees nothing.
"""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class SithsOIDCBackend(OIDCAuthenticationBackend):
    def _hsa_id(self, claims) -> str:
        hsa_id = (claims.get(settings.OIDC_HSA_ID_CLAIM) or "").strip()
        if not hsa_id:
            raise SuspiciousOperation("The identity provider sent no HSA-id")
        return hsa_id

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=self._hsa_id(claims), is_active=True)

    def create_user(self, claims):
        return self.UserModel.objects.create_user(
            username=self._hsa_id(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""),
        )

    def update_user(self, user, claims):
        user.first_name = claims.get("given_name", user.first_name)
        user.last_name = claims.get("family_name", user.last_name)
        user.email = claims.get("email", user.email)
        user.save(update_fields=["first_name", "last_name", "email"])
        return user
