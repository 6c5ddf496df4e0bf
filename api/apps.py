from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API for systems")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Webhooks: the outbox announces messages for organisations (a lower layer
        # cannot call up), and every discharge event is a case change for its parties.
        from django.db.models.signals import post_save

        from notifications import events
        from workflows import hooks
        from workflows.discharge.models import DischargeEvent

        from . import webhooks

        events.listen(webhooks.on_organisation_messages)
        hooks.provide(hooks.DEADLINE_RUNGS_TAKEN, webhooks.on_deadline_rungs)
        post_save.connect(
            webhooks.on_discharge_event,
            sender=DischargeEvent,
            dispatch_uid="api_webhooks_discharge_event",
        )
