"""Session policy: an idle timeout on top of the absolute lifetime.

The absolute lifetime is ``SESSION_COOKIE_AGE`` (the expiry is set at login and not
renewed on each request); the idle timeout logs a user out after
``SESSION_IDLE_TIMEOUT`` seconds without a request (OWASP ASVS 7.3.1, 7.3.2).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from coordination import access

_KEY = "kardborre_last_seen"


class SessionIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                return redirect_to_login(request.get_full_path())
            # Written at most once a minute so an active user does not rewrite the session
            # row on every request.
            if last_seen is None or now - last_seen >= 60:
                request.session[_KEY] = now
        return self.get_response(request)


class SwedishFirstLocaleMiddleware(LocaleMiddleware):
    """Swedish unless the user chose another language (the language cookie set by the
    switch in the toolbar); the browser's Accept-Language is not followed, so a
    kommun's shared computer with an English browser still shows Swedish."""

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class CaseAccessMiddleware:
    """Every viewflow page of one case (process detail, chart, cancel, each task action:
    any URL of the ``workflow`` namespace with a ``process_pk``) answers 404 unless the
    one access rule lets the user see that case. viewflow's own checks (who may take or
    execute a task) then run as usual, on cases the user may see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):

        match = request.resolver_match
        if match is None or "process_pk" not in view_kwargs:
            return None
        if not match.namespaces or match.namespaces[0] != "workflow":
            return None
        if not access.process_is_visible(user=request.user, process_id=view_kwargs["process_pk"]):
            raise Http404
        return None
