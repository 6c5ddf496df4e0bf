from django.contrib import admin

from .models import (
    Area,
    Consent,
    Deviation,
    DeviationEvent,
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


class DeviationEventInline(admin.TabularInline):
    model = DeviationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "from_status", "to_status", "at", "by", "organisation", "comment"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Deviation)
class DeviationAdmin(admin.ModelAdmin):
    """Read-only: deviations change only through their transitions (the register pages)."""

    list_display = [
        "__str__",
        "status",
        "category",
        "reporting_organisation",
        "receiving_organisation",
        "occurred_at",
        "answer_due_date",
    ]
    list_filter = ["status", "category", "source", "level", "harm"]
    search_fields = ["pk", "reporting_organisation__name", "receiving_organisation__name"]
    date_hierarchy = "occurred_at"
    inlines = [DeviationEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
