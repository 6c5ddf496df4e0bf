"""``/api/v1/`` and the FHIR facade ``/fhir/``: systems authenticate with a bearer key,
not a session, so the site's login redirect does not apply (a request without a key
answers 401: problem+json, or an OperationOutcome under ``/fhir/``). The schema, the
documentation page and the FHIR CapabilityStatement hold no personal data and are
public."""

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt

from .api import api
from .fhir.api import fhir_api
from .problems import Problem, problem_response


@csrf_exempt
def not_found(request, *args, **kwargs):
    """A path under ``/api/v1/`` that names no operation (or an id that is not a
    number): problem+json as every other refusal, never the site's HTML page."""
    return problem_response(Problem(404, "not-found", "No such operation or object."))


def _public(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _public(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback = login_not_required(pattern.callback)
    return patterns


patterns, app_name, namespace = api.urls
urls = (_public([*patterns, re_path(r"^.*$", not_found, name="not_found")]), app_name, namespace)

patterns, app_name, namespace = fhir_api.urls
fhir_urls = (_public(patterns), app_name, namespace)
