"""The client's address, as seen through a configured number of trusted proxies.

``X-Forwarded-For`` is a list every proxy appends to; only the entries written by our own
proxies can be trusted. With ``KARDBORRE_TRUSTED_PROXIES = n`` the address ``n`` hops back
from the socket is taken::

    hops = [*X-Forwarded-For entries, REMOTE_ADDR]
    client = hops[-(n + 1)]

With ``n = 0`` (no proxy) the header is ignored. A client that writes its own
``X-Forwarded-For`` only adds entries to the left of what our proxies append, so it
cannot change the address we take. Used by the access log and by django-axes
(``AXES_CLIENT_IP_CALLABLE``), so lockout and logs agree on who the client is.

django-ipware counts proxies inside the header and leaves ``REMOTE_ADDR`` out of the
chain, which does not match how a region's proxy count is known; the rule is four lines.
"""

import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the client behind ``settings.KARDBORRE_TRUSTED_PROXIES`` proxies.

    Example: one trusted proxy at 10.0.0.1 and ``X-Forwarded-For: 6.6.6.6, 81.2.69.142``
    gives ``81.2.69.142``; ``6.6.6.6`` was written by the client itself.
    """
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    trusted = getattr(settings, "KARDBORRE_TRUSTED_PROXIES", 0)
    if trusted <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    hops = [*(part.strip() for part in forwarded if part.strip()), remote or ""]
    # Fewer hops than proxies (the request did not pass all of them): the farthest we see.
    candidate = hops[0] if len(hops) <= trusted else hops[-(trusted + 1)]
    # A malformed entry where the client should be: never log what the client wrote.
    return _valid(candidate) or remote
