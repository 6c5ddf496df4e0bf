from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OutboundEmail


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *OutboundEmail.Status.choices],
    )
    recipient = forms.CharField(label=_("Recipient"), required=False, max_length=254)


class PreferenceForm(forms.Form):
    daily_digest = forms.BooleanField(
        label=_("Send me a daily digest"),
        required=False,
        help_text=_(
            "Each morning: what your organisations have due today and what is overdue. "
            "Reminders and escalations are sent regardless."
        ),
    )
