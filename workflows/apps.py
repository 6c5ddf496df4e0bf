from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        # Imported here, not at the top: the modules need the loaded models.
        from django.core import checks

        from notifications import links as notification_links

        from . import checks as workflow_checks
        from . import escalation, links, phrasing

        # The notifications layer renders case links and deadline kinds without
        # importing us: we hand it both.
        notification_links.case_url_register(links.case_url)
        notification_links.context_hook_register(escalation.context_kind_label)
        notification_links.context_hook_register(phrasing.context_kind_phrases)
        checks.register(workflow_checks.deadline_kinds_check)
        checks.register(workflow_checks.beat_schedule_check)
        checks.register(workflow_checks.escalation_chains_check, checks.Tags.database)
