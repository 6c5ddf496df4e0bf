from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DischargeConfig(AppConfig):
    name = "workflows.discharge"
    label = "discharge"
    verbose_name = _("Discharge from inpatient care (LUS)")

    def ready(self):
        # Imported here: the modules need the loaded models.
        from django.core import checks

        from workflows import hooks
        from workflows.discharge import kinds, parties, services

        from .checks import payment_rates_check

        parties.connect()
        kinds.register_kinds()
        hooks.provide(hooks.KALLELSE_SENT, services.sip_kallelse_sent)
        hooks.provide(hooks.SIP_PLAN_SAVED, services.compulsory_care_plan_recorded)
        checks.register(payment_rates_check)
