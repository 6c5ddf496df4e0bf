from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from coordination import oidc

from .site import site

urlpatterns = [
    path("konto/login/", oidc.LoginView.as_view(), name="login"),
    path("konto/logout/", oidc.LogoutView.as_view(), name="logout"),
    # SITHS sign-in (404 unless OIDC_RP_CLIENT_ID is set); logout is konto/logout/.
    path(
        "oidc/authenticate/",
        oidc.SithsAuthenticationRequestView.as_view(),
        name="oidc_authentication_init",
    ),
    path("oidc/callback/", oidc.SithsCallbackView.as_view(), name="oidc_authentication_callback"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("kallelse/", include("workflows.sip.urls")),
    path("", RedirectView.as_view(pattern_name="coordination:organisation_list"), name="home"),
    path("", site.urls),
]
