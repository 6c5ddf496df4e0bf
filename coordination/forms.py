from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import chains
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


class EscalationChainForm(forms.Form):
    """An administrator sets rungs 2 and 3 of an organisation's chain (empty: the
    registry's default, ``coordination.chains``)."""

    coordinator = forms.ModelChoiceField(
        label=_("Escalates to (rung 2)"),
        queryset=Organisation.objects.filter(is_active=True).select_related("area"),
        required=False,
        empty_label=_("Default from the registry"),
        help_text=_(
            "The coordinator or manager told when a deadline has passed: KSA (kommun), the "
            "unit it is part of or the area's GSA (region)."
        ),
    )
    overseer = forms.ModelChoiceField(
        label=_("MAS or chefläkare at (rung 3)"),
        queryset=Organisation.objects.filter(is_active=True).select_related("area"),
        required=False,
        empty_label=_("Default from the registry"),
        help_text=_(
            "The organisation whose MAS or chefläkare is told of a breach: by default the "
            "MAS of the kommun, or the chefläkare and MAS of the region."
        ),
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            chains.escalation_chain_check(
                organisation=self.organisation,
                coordinator=data.get("coordinator"),
                overseer=data.get("overseer"),
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return data


class IndividualFindForm(forms.Form):
    """Find a person by personnummer or samordningsnummer."""

    pnr = forms.CharField(
        label=_("Personal identity number or coordination number"),
        max_length=13,
        help_text=_("YYYYMMDD-NNNN"),
    )

    def clean_pnr(self):
        return parse(self.cleaned_data["pnr"])  # raises a ValidationError in Swedish


class IndividualCreateForm(forms.Form):
    """Register a person who is not yet in the register. With protected identity from
    the population register the name and address come from the register, not the form
    (the user may not be allowed to see them)."""

    personal_identity_number = forms.CharField(widget=forms.HiddenInput, max_length=13)
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    protected_identity = forms.BooleanField(
        label=_("Protected identity (skyddad identitet)"),
        required=False,
        help_text=_("Name and address are then never shown in lists or emails."),
    )

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record
        if record is not None and record.protected_identity:
            for name in ("given_name", "family_name", "address", "protected_identity"):
                del self.fields[name]

    def clean_personal_identity_number(self):
        return parse(self.cleaned_data["personal_identity_number"]).formatted

    def clean(self):
        data = super().clean()
        if self.record is not None and self.record.protected_identity:
            data.update(
                given_name=self.record.given_name,
                family_name=self.record.family_name,
                address=self.record.address,
                protected_identity=True,
            )
            return data
        for name in ("given_name", "family_name"):
            if not (data.get(name) or "").strip():
                self.add_error(name, ValidationError(_("This field is required."), "required"))
        return data
