"""System checks of the email configuration."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks


def _is_local(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def site_url_check(app_configs=None, **kwargs):
    """Every link in an email is ``SITE_URL`` + a path: in production it must be the
    public https address, not the development default."""
    if settings.DEBUG:
        return []
    parts = urlsplit(getattr(settings, "SITE_URL", "") or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "SITE_URL is not set to an absolute URL"
    elif _is_local(parts.hostname):
        problem = f"SITE_URL points at {parts.hostname}"
    elif parts.scheme != "https":
        problem = "SITE_URL is not https"
    else:
        return []
    return [
        checks.Error(
            f"{problem}: links in emails would not reach the site.",
            hint="Set SITE_URL to the public address, e.g. https://kardborre.region.se.",
            id="notifications.E001",
        )
    ]
