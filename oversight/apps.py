from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = _("Oversight: payment responsibility and indicators")

    def ready(self):
        # The MAS dashboard lives below us (coordination): we hand it our panel.
        from coordination.deviations.dashboard import panel_register

        from .views import dashboard_trend_panel

        panel_register(dashboard_trend_panel)
