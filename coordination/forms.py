from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Area, Huvudman, Organisation


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
