from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Imported here: the checks read settings once the apps are loaded.
        from django.core import checks

        from .checks import site_url_check

        checks.register(site_url_check, checks.Tags.security, deploy=True)
