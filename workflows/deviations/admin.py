from django.contrib import admin

from .models import Deviation, DeviationEvent


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
