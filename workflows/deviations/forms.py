import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.models import Organisation
from coordination.widgets import OrganisationChoicePickerField
from workflows.deviations.models import Deviation


class DateInput(forms.DateInput):
    input_type = "date"


class DeviationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "—"), *Deviation.Status.choices]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", "—"), *Deviation.Category.choices]
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), required=False, queryset=Organisation.objects.none()
    )
    date_from = forms.DateField(label=_("Occurred from"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("Occurred to"), required=False, widget=DateInput)
    overdue = forms.BooleanField(label=_("Answer overdue"), required=False)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


class DraftFieldsMixin(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Deviation.Category.choices)
    process_step = forms.ChoiceField(
        label=_("Step"), choices=Deviation.Step.choices, initial=Deviation.Step.OTHER
    )
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("Describe the missed commitment. Write no more about the person than needed."),
    )
    harm = forms.ChoiceField(
        label=_("Care injury"), choices=[("", "—"), *Deviation.Harm.choices], required=False
    )
    level = forms.ChoiceField(
        label=_("Level"), choices=Deviation.Level.choices, initial=Deviation.Level.CASE
    )
    lex_maria_assessment = forms.BooleanField(
        label=_("Possible Lex Maria: to be assessed by the MAS"), required=False
    )
    lex_sarah_assessment = forms.BooleanField(
        label=_("Possible Lex Sarah: to be assessed"), required=False
    )


class DraftForm(DraftFieldsMixin):
    """Change a draft; ``send`` also sends it, which needs a care-injury assessment."""

    def clean(self):
        data = super().clean()
        if "send" in self.data and not data.get("harm"):
            self.add_error("harm", _("Assess the care injury before sending."))
        return data


class DeviationCreateForm(DraftFieldsMixin):
    reporting_organisation = forms.ModelChoiceField(
        label=_("Reported by"), queryset=Organisation.objects.none(), empty_label=None
    )
    receiving_organisation = OrganisationChoicePickerField(
        label=_("Organisation that did not meet its commitment"),
        queryset=Organisation.objects.none(),
    )
    occurred_date = forms.DateField(label=_("Date it happened"), widget=DateInput)

    field_order = [
        "reporting_organisation",
        "receiving_organisation",
        "category",
        "process_step",
        "occurred_date",
        "description",
        "harm",
        "level",
        "lex_maria_assessment",
        "lex_sarah_assessment",
    ]

    def __init__(self, *args, reporters, receivers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reporting_organisation"].queryset = reporters
        self.fields["receiving_organisation"].queryset = receivers
        self.fields["occurred_date"].initial = timezone.localdate()

    def clean_occurred_date(self):
        day = self.cleaned_data["occurred_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        if day < timezone.localdate() - dt.timedelta(days=3 * 366):
            raise forms.ValidationError(_("The date is more than three years ago."))
        return day

    def clean(self):
        data = super().clean()
        reporter, receiver = data.get("reporting_organisation"), data.get("receiving_organisation")
        if reporter and receiver and reporter.pk == receiver.pk:
            self.add_error(
                "receiving_organisation",
                _("An organisation cannot report a deviation to itself."),
            )
        if "send" in self.data and not data.get("harm"):
            self.add_error("harm", _("Assess the care injury before sending."))
        return data


class AnswerForm(forms.Form):
    explanation = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    measures = forms.CharField(
        label=_("Measures taken or planned"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )


class CloseForm(forms.Form):
    assessment = forms.CharField(
        label=_("Assessment"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    lex_maria_assessment = forms.BooleanField(
        label=_("Possible Lex Maria: to be assessed by the MAS"), required=False
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
