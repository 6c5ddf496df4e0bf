from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeviationsConfig(AppConfig):
    """Deviations between organisations (samverkansavvikelser): their register, state
    machine, drafting from breached deadlines and reminders of late answers."""

    name = "workflows.deviations"
    label = "deviations"
    verbose_name = _("Deviations")

    def ready(self):
        from . import parties  # here: receivers need the loaded models

        parties.connect()
