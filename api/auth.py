"""Bearer authentication of API clients, the rate limit and scopes."""

from ninja.security import HttpBearer

from .models import ApiClient
from .problems import Problem
from .ratelimit import rate_limit_check
from .services import api_client_for_key


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer kb_…``. A known, unrevoked key makes the request act as
    the client's service user (``request.user``), so the services and the access log
    see the client; then the client's rate limit is counted."""

    def authenticate(self, request, token):
        client = api_client_for_key(token)
        if client is None:
            return None
        wait = rate_limit_check(client_id=client.pk)
        if wait is not None:
            raise Problem(
                429,
                "rate-limited",
                f"More than the allowed requests per minute; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        request.user = client.user
        request.api_client = client
        return client


def require_scope(request, scope: str) -> ApiClient:
    client: ApiClient = request.auth
    if not client.has_scope(scope):
        raise Problem(403, "insufficient-scope", f"This operation needs the scope {scope}.")
    return client
