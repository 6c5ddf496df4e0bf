from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        # Imported here: the checks read settings and models once the apps are loaded.
        from django.core import checks

        from .oidc import check_oidc_settings

        checks.register(check_oidc_settings, checks.Tags.security)
