from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, Huvudman, Organisation
from .personnummer import parse


class OrganisationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.all(), required=False, empty_label=_("All areas")
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Organisation.Kind.choices],
    )
    reachability = forms.ChoiceField(
        label=_("Reachable in the planning IT support"),
        required=False,
        choices=[("", _("All")), *Organisation.Reachability.choices],
    )
    huvudman = forms.ChoiceField(
        label=_("Principal"), required=False, choices=[("", _("All")), *Huvudman.choices]
    )


class AccessLogFilterForm(forms.Form):
    individual = forms.CharField(
        label=_("Personal identity number"),
        required=False,
        max_length=13,
        help_text=_("YYYYMMDD-NNNN"),
    )
    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_individual(self):

        value = self.cleaned_data["individual"]
        return parse(value).formatted if value else ""

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
