from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from .site import site

urlpatterns = [
    path("konto/login/", auth_views.LoginView.as_view(), name="login"),
    path("konto/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("kallelse/", include("workflows.sip.urls")),
    path("", RedirectView.as_view(pattern_name="coordination:organisation_list"), name="home"),
    path("", site.urls),
]
