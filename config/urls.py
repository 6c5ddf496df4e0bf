from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from .site import site

urlpatterns = [
    path("konto/login/", auth_views.LoginView.as_view(), name="login"),
    path("konto/logout/", login_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("admin/", admin.site.urls),
    # Public (no login): the login page (Django marks it), logout, the language switch
    # and the signed acknowledgement link; every other page needs a login.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("kallelse/", include("workflows.sip.urls")),
    path("", RedirectView.as_view(pattern_name="coordination:organisation_list"), name="home"),
    path("", site.urls),
]
