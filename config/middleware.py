"""Session policy: an idle timeout on top of the absolute lifetime.

The absolute lifetime is ``SESSION_COOKIE_AGE`` (the expiry is set at login and not
renewed on each request); the idle timeout logs a user out after
``SESSION_IDLE_TIMEOUT`` seconds without a request (OWASP ASVS 7.3.1, 7.3.2).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

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
