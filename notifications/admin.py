from django.contrib import admin

from .models import NotificationPreference, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Read-only: rows are written by services and changed only by delivery."""

    list_display = [
        "pk",
        "to",
        "template",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "template"]
    search_fields = ["to", "idempotency_key"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "daily_digest", "updated_at"]
