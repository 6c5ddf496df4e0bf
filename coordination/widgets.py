"""The organisation pickers: a select grouped by kind and area, with each unit's
reachability beside its name, that ``static/kardborre/orgpicker.js`` turns into a
type-ahead over ``coordination:organisation_search``. Without JavaScript it is a plain
(grouped) select and works the same. ``OrganisationPickerField`` chooses several,
``OrganisationChoicePickerField`` one."""

from urllib.parse import urlencode

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from .models import Organisation

REACHABILITY_TEXT = {
    Organisation.Reachability.YES: _("reachable"),
    Organisation.Reachability.NO: _("not reachable: second channel"),
    Organisation.Reachability.UNKNOWN: _("reachability unknown: second channel"),
}


def organisation_label(organisation: Organisation) -> str:
    """``Skanstulls vårdcentral (Södermalm) – nåbarhet okänd: annan kanal``."""
    reachability = REACHABILITY_TEXT.get(organisation.reachability, "")
    return f"{organisation.name} ({organisation.area}) – {reachability}"


class GroupedOrganisationIterator(forms.models.ModelChoiceIterator):
    """The choices in ``<optgroup>``s by kind and area, in that order."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list] = {}
        queryset = self.queryset.select_related("area").order_by("kind", "area__name", "name")
        for organisation in queryset:
            group = f"{organisation.get_kind_display()} – {organisation.area}"
            groups.setdefault(group, []).append(self.choice(organisation))
        yield from groups.items()


def _picker_attrs(attrs, *, chosen_label):
    return {
        "data-kb-org-picker": "",
        "data-kb-search-url": reverse_lazy("coordination:organisation_search"),
        "data-kb-search-label": _("Search organisations by name, HSA id or area"),
        "data-kb-chosen-label": chosen_label,
        "data-kb-remove-label": _("Remove"),
        "data-kb-none-label": _("No organisation found."),
        **(attrs or {}),
    }


class OrganisationPicker(forms.SelectMultiple):
    """A multiple select the page's script enhances into a type-ahead."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs=_picker_attrs(
                {"size": 10, **(attrs or {})}, chosen_label=_("Chosen organisations")
            )
        )


class OrganisationSelectPicker(forms.Select):
    """A single select the page's script enhances into a type-ahead. The search offers
    only the organisations the select lists (``data-kb-only-listed``), narrowed on the
    server to the field's kinds when it has them."""

    def __init__(self, attrs=None, kinds=()):
        self.kinds = list(kinds)
        super().__init__(
            attrs=_picker_attrs(
                {"data-kb-only-listed": "", **(attrs or {})},
                chosen_label=_("Chosen organisation"),
            )
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.kinds:
            url = str(reverse_lazy("coordination:organisation_search"))
            query = urlencode([("kind", kind) for kind in self.kinds])
            context["widget"]["attrs"]["data-kb-search-url"] = f"{url}?{query}"
        return context


class OrganisationPickerField(forms.ModelMultipleChoiceField):
    """Active organisations, grouped, searchable, reachability beside each name."""

    iterator = GroupedOrganisationIterator
    widget = OrganisationPicker

    def label_from_instance(self, obj):
        return organisation_label(obj)


class OrganisationChoicePickerMixin:
    """One organisation, grouped, searchable, reachability beside each name. The kinds
    offered by the search follow the queryset's when set with ``offer``."""

    iterator = GroupedOrganisationIterator
    widget = OrganisationSelectPicker

    def label_from_instance(self, obj):
        return organisation_label(obj)

    def offer(self, queryset, *, kinds=()):
        """Set the organisations offered and the kinds the search narrows to."""
        self.queryset = queryset
        self.widget.kinds = list(kinds)


class OrganisationChoicePickerField(OrganisationChoicePickerMixin, forms.ModelChoiceField):
    """A single organisation through the picker."""
