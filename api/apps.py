from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API for systems")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Webhooks: the outbox and the sweep announce what they write for organisations
        # (a lower layer cannot call up); every event of a discharge or SIP is a case
        # change for its parties.
        from django.db.models.signals import post_delete, post_save

        from notifications import events
        from workflows import hooks

        from . import webhooks

        events.listen(webhooks.on_organisation_messages)
        hooks.provide(hooks.DEADLINE_RUNGS_TAKEN, webhooks.on_deadline_rungs)
        for model in webhooks.CASE_EVENTS:
            post_save.connect(
                webhooks.on_case_event,
                sender=model,
                dispatch_uid=f"api_webhooks_{model._meta.label_lower}",
            )
        post_save.connect(
            webhooks.on_deviation_event,
            sender=webhooks.DeviationEvent,
            dispatch_uid="api_webhooks_deviation_event",
        )
        # Who subscribes is read once per transaction: a subscription written in it
        # makes the next event read it again.
        for signal in (post_save, post_delete):
            signal.connect(
                webhooks.subscribers_changed,
                sender=webhooks.WebhookSubscription,
                dispatch_uid=f"api_webhooks_subscribers_{signal is post_save}",
            )
