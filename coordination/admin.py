from django.contrib import admin

from .models import (
    Area,
    Consent,
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
