from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Application

from . import views


class NotificationsApp(Application):
    """The outbox and each user's notification settings."""

    app_name = "notifications"
    title = _("Notifications")
    icon = "mail"
    menu_template_name = "notifications/menu.html"

    outbox_list_path = path("utkorg/", views.OutboxListView.as_view(), name="outbox_list")
    outbox_resend_path = path(
        "utkorg/<int:pk>/skicka-igen/", views.OutboxResendView.as_view(), name="outbox_resend"
    )
    preferences_path = path("installningar/", views.PreferencesView.as_view(), name="preferences")

    def has_view_permission(self, user, obj=None):
        # Each view checks login and rows itself (an anonymous user is sent to log in).
        return True
