from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import health, metrics
from .forms import AdminLoginForm, LoginForm
from .site import site

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("konto/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("konto/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # For load balancers and Prometheus: no login, no personal data (README, Operations).
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("kallelse/", include("workflows.sip.urls")),
    path("", RedirectView.as_view(pattern_name="coordination:organisation_list"), name="home"),
    path("", site.urls),
]
