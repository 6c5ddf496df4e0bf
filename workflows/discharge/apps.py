from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DischargeConfig(AppConfig):
    name = "workflows.discharge"
    label = "discharge"
    verbose_name = _("Discharge from inpatient care (LUS)")

    def ready(self):
        # Imported here: the modules need the loaded models.
        from django.core import checks

        from workflows.discharge import kinds, parties

        from .checks import payment_rates_check

        parties.connect()
        kinds.register_kinds()
        checks.register(payment_rates_check)
