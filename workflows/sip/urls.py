"""Public URLs (outside the Site, no login): the invitation acknowledgement link."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "sip_public"

urlpatterns = [
    path("<str:token>/", login_not_required(views.AcknowledgeView.as_view()), name="acknowledge"),
]
