"""``/api/v1/``: systems authenticate with a bearer key, not a session, so the site's
login redirect does not apply (a request without a key answers 401 problem+json).
The schema and the documentation page hold no personal data and are public."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver

from .api import api


def _public(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _public(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
    return patterns


patterns, app_name, namespace = api.urls
urls = (_public(patterns), app_name, namespace)
