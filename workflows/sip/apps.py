from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipConfig(AppConfig):
    name = "workflows.sip"
    label = "sip"
    verbose_name = _("Coordinated individual plan (SIP)")

    def ready(self):
        # Imported here: the modules need the loaded models.
        from workflows import hooks
        from workflows.sip import kinds, parties, services

        parties.connect()
        kinds.register_kinds()
        hooks.provide(hooks.SIP_START_FROM_DISCHARGE, services.sip_start_from_discharge)
        hooks.provide(hooks.INVITATION_RECIPIENT, services.invitation_recipient)
