from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from . import chains
from .models import (
    Area,
    Consent,
    EscalationChain,
    Individual,
    Membership,
    Organisation,
    RelatedPerson,
)


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "ksa", "gsa"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "ksa", "gsa"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "huvudman", "area", "reachability", "is_active"]
    list_filter = ["huvudman", "kind", "reachability", "is_active", "area"]
    search_fields = ["name", "hsa_id"]
    autocomplete_fields = ["area", "parent"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


class RelatedPersonInline(admin.TabularInline):
    model = RelatedPerson
    extra = 0


@admin.register(Individual)
class IndividualAdmin(admin.ModelAdmin):
    list_display = ["__str__", "protected_identity"]
    search_fields = ["personal_identity_number"]
    inlines = [RelatedPersonInline]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["individual", "scope", "decision", "recorded_at", "revoked_at"]
    list_filter = ["scope", "decision"]
    raw_id_fields = ["individual", "recorded_by", "revoked_by"]


class EscalationChainAdminForm(forms.ModelForm):
    class Meta:
        model = EscalationChain
        fields = ["organisation", "coordinator", "overseer"]

    def clean(self):
        data = super().clean()
        organisation = data.get("organisation")
        if organisation is not None and not self.errors:
            try:
                chains.escalation_chain_check(
                    organisation=organisation,
                    coordinator=data.get("coordinator"),
                    overseer=data.get("overseer"),
                )
            except ValidationError as error:
                raise ValidationError(error.message_dict) from error
        return data


@admin.register(EscalationChain)
class EscalationChainAdmin(admin.ModelAdmin):
    """The same rules as the organisation page's chain form: an edit that leaves the
    organisation without a MAS or chefläkare is refused."""

    form = EscalationChainAdminForm
    list_display = ["organisation", "coordinator", "overseer", "updated_at", "updated_by"]
    search_fields = ["organisation__name"]
    autocomplete_fields = ["organisation", "coordinator", "overseer"]
    readonly_fields = ["updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
