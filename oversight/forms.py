import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.models import Area
from workflows.discharge.models import CareType


def parse_month(value: str) -> dt.date | None:
    try:
        parsed = dt.datetime.strptime(value, "%Y-%m").date()
    except (TypeError, ValueError):
        return None
    return parsed if 2018 <= parsed.year <= 2100 else None


class MonthField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("Give a month as YYYY-MM, from 2018 on."))
        return month


class ScopeForm(forms.Form):
    """A kommun among those the user may see, and a month."""

    kommun = forms.ModelChoiceField(label=_("Municipality"), queryset=Area.objects.none())
    month = MonthField(label=_("Month"), required=False)

    def __init__(self, *args, kommuner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kommun"].queryset = Area.objects.filter(pk__in=[k.pk for k in kommuner])
        self.fields["kommun"].empty_label = None


class EpisodesForm(ScopeForm):
    care_type = forms.ChoiceField(label=_("Care type"), choices=CareType.choices)
    which = forms.ChoiceField(
        choices=[("counted", _("In the basis")), ("excluded", _("Not counted"))],
        required=False,
    )


class DisputeForm(forms.Form):
    process = forms.IntegerField(widget=forms.HiddenInput)
    kommun = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the dispute"), max_length=2000)


class ResolveForm(forms.Form):
    dispute = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("ACCEPT", _("Accept: remove the episode")), ("REJECT", _("Reject"))],
    )
    note = forms.CharField(label=_("Note"), max_length=2000)


class RateForm(forms.Form):
    year = forms.IntegerField(label=_("Year"))
    amount_sek = forms.IntegerField(label=_("Amount per day (SEK)"))
    source = forms.CharField(label=_("Source (regulation)"), max_length=300)
    confirmed = forms.BooleanField(
        label=_("Confirmed against the regulation"), required=False, initial=True
    )
    replace = forms.BooleanField(label=_("Replace the amount of the year"), required=False)


class PopulationForm(forms.Form):
    kommun = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Area.objects.filter(kind=Area.Kind.KOMMUN)
    )
    year = forms.IntegerField(label=_("Year"), min_value=2018, max_value=2100)
    inhabitants_65_plus = forms.IntegerField(label=_("Inhabitants aged 65+"))
    source = forms.CharField(label=_("Source"), max_length=300, initial="SCB")
    replace = forms.BooleanField(label=_("Replace the figure of the year"), required=False)
