"""Issue, revoke and check the keys of API clients.

A key is ``kb_<prefix>_<secret>``: the prefix finds the client, the secret (32 random
bytes) is compared by its SHA-256. A slow password hash buys nothing for a random
secret of that length and would cost every request; the hash is compared in
constant time.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from coordination.models import Membership, Organisation

from .models import ApiClient, Scope

KEY_PREFIX = "kb_"
#: ``last_used_at`` is written at most this often per client (not on every request).
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key: str  # shown once; never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _service_username(name: str, prefix: str) -> str:
    return f"api-{slugify(name)[:60] or 'client'}-{prefix}"


@transaction.atomic
def api_client_create(*, organisation: Organisation, name: str, scopes, by=None) -> IssuedKey:
    """Issue a key for a system acting for ``organisation``. Its service user has an
    unusable password (it cannot sign in to the pages) and an active SYSTEM membership
    of the organisation, so every service and the access rule see it as that
    organisation. The key is returned once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the client a name.")})
    scopes = sorted(set(scopes or []))
    unknown = [scope for scope in scopes if scope not in Scope.values]
    if unknown:
        raise ValidationError({"scopes": _("Unknown scope: %(scope)s") % {"scope": unknown[0]}})
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    if not organisation.is_active:
        raise ValidationError({"organisation": _("The organisation is not active.")})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    user = get_user_model().objects.create(
        username=_service_username(name, prefix),
        first_name=name[:150],
        last_name="(API)",
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.SYSTEM)
    client = ApiClient.objects.create(
        organisation=organisation,
        name=name[:100],
        scopes=scopes,
        key_prefix=prefix,
        secret_hash=_hash(secret),
        user=user,
        created_by=by if by is not None and by.is_authenticated else None,
    )
    return IssuedKey(client=client, key=f"{KEY_PREFIX}{prefix}_{secret}")


@transaction.atomic
def api_client_revoke(*, client: ApiClient, by=None) -> ApiClient:
    """Revoke at once: the next request with the key is refused. The service user is
    deactivated too, so nothing reads through it any more; its log rows stay."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is not None:
        return client
    client.revoked_at = timezone.now()
    client.revoked_by = by if by is not None and by.is_authenticated else None
    client.save(update_fields=["revoked_at", "revoked_by"])
    user = client.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    return client


def api_client_for_key(key: str) -> ApiClient | None:
    """The active client a key belongs to, or None (unknown, malformed or revoked)."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    prefix, _sep, secret = key[len(KEY_PREFIX) :].partition("_")
    if not prefix or not secret or len(prefix) > 16:
        return None
    client = (
        ApiClient.objects.select_related("user", "organisation").filter(key_prefix=prefix).first()
    )
    if client is None or not hmac.compare_digest(client.secret_hash, _hash(secret)):
        return None
    if client.revoked_at is not None or not client.user.is_active:
        return None
    if not client.organisation.is_active:
        return None
    now = timezone.now()
    if (
        client.last_used_at is None
        or (now - client.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS
    ):
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
