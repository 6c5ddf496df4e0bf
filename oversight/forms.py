import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.models import Area, Organisation
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


def month_choices(*, today: dt.date, count: int = 36) -> list[tuple[str, str]]:
    first = today.replace(day=1)
    result = []
    for _i in range(count):
        result.append((first.strftime("%Y-%m"), first.strftime("%Y-%m")))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return result


class _ListedChoices(forms.models.ModelChoiceIterator):
    """The choices read in one plain query (``ModelChoiceIterator`` reads them through
    a server-side cursor: three round trips per list, on every view of the dashboard)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class _ListedChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices


class DashboardFilterForm(forms.Form):
    """The MAS's scope: one of their kommuner, optionally an area or organisation in it,
    and a period of whole months. Choices outside the MAS's kommuner are invalid."""

    kommun = _ListedChoiceField(
        label=_("Municipality"), queryset=Area.objects.none(), empty_label=None, required=False
    )
    area = _ListedChoiceField(
        label=_("City district"), queryset=Area.objects.none(), required=False
    )
    organisation = _ListedChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    month_from = forms.ChoiceField(label=_("From month"), required=False)
    month_to = forms.ChoiceField(label=_("To month"), required=False)

    def __init__(self, *args, kommuner, today, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [k.pk for k in kommuner]
        self.fields["kommun"].queryset = Area.objects.filter(pk__in=ids)
        self.fields["area"].queryset = Area.objects.filter(parent_id__in=ids).order_by("name")
        self.fields["organisation"].queryset = (
            Organisation.objects.filter(area_id__in=ids)
            | Organisation.objects.filter(area__parent_id__in=ids)
        ).order_by("name")
        months = month_choices(today=today)
        self.fields["month_from"].choices = [("", "—"), *months]
        self.fields["month_to"].choices = [("", "—"), *months]

    def clean(self):
        data = super().clean()
        kommun, area = data.get("kommun"), data.get("area")
        if kommun and area and area.parent_id != kommun.pk:
            self.add_error("area", _("The district is not part of the municipality."))
        if (
            data.get("month_from")
            and data.get("month_to")
            and data["month_from"] > data["month_to"]
        ):
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
