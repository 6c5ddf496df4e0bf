from django.contrib import admin

from .models import Deadline, DeadlineEvent


class DeadlineEventInline(admin.TabularInline):
    model = DeadlineEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "by", "level", "note"]


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    """Read-only: deadlines are created and met by the flows."""

    list_display = [
        "pk",
        "kind",
        "responsible_organisation",
        "due_at",
        "status",
        "escalation_level",
    ]
    list_filter = ["status", "kind"]
    inlines = [DeadlineEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
