"""Public URLs (outside the Site, no login): the invitation acknowledgement link."""

from django.urls import path

from . import views

app_name = "sip_public"

urlpatterns = [
    path("<str:token>/", views.AcknowledgeView.as_view(), name="acknowledge"),
]
