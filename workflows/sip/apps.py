from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipConfig(AppConfig):
    name = "workflows.sip"
    label = "sip"
    verbose_name = _("Coordinated individual plan (SIP)")

    def ready(self):
        from workflows.sip import parties

        parties.connect()
