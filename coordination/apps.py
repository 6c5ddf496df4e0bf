from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        from django.core import checks

        from coordination.deviations import parties

        from .oidc import check_oidc_settings

        parties.connect()
        checks.register(check_oidc_settings, checks.Tags.security)
