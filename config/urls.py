from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from api.urls import fhir_urls
from api.urls import urls as api_urls
from coordination import oidc

from . import health, metrics
from .forms import AdminLoginForm, LoginForm
from .site import site

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("konto/login/", oidc.LoginView.as_view(form_class=LoginForm), name="login"),
    path("konto/logout/", login_not_required(oidc.LogoutView.as_view()), name="logout"),
    # SITHS sign-in (404 unless OIDC_RP_CLIENT_ID is set); logout is konto/logout/.
    path(
        "oidc/authenticate/",
        login_not_required(oidc.SithsAuthenticationRequestView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "oidc/callback/",
        login_not_required(oidc.SithsCallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
    path("admin/", admin.site.urls),
    # Public (no login): the login page (Django marks it), logout, the language switch,
    # the signed acknowledgement link, and for load balancers and Prometheus the health
    # and metrics endpoints (no personal data; README, Operations). Every other page
    # needs a login.
    path("health/live", login_not_required(health.live), name="health_live"),
    path("health/ready", login_not_required(health.ready), name="health_ready"),
    path("metrics", login_not_required(metrics.metrics), name="metrics"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("kallelse/", include("workflows.sip.urls")),
    # Systems: bearer keys, not sessions (api/urls.py).
    path("api/v1/", api_urls),
    path("fhir/", fhir_urls),
    path("api/riv/", include("api.getcareplans")),  # SOAP for NPÖ/1177; bearer keys
    path("", site.urls),
]
