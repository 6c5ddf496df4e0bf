"""Read-mostly admin: SIP data is changed through the flow and its services only."""

from django.contrib import admin

from .models import Invitation, InvitationEvent, Meeting, PlanIntervention, PlanVersion, SipEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvitationEventInline(admin.TabularInline):
    model = InvitationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_state", "to_state", "at", "by", "via_link", "channel", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "meeting", "kind", "organisation", "state", "attendance"]
    list_filter = ["state", "kind", "attendance", "unanswered_at_meeting"]
    inlines = [InvitationEventInline]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["pk", "sip", "starts_at", "held_at"]


class PlanInterventionInline(admin.TabularInline):
    model = PlanIntervention
    extra = 0
    can_delete = False


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ["sip", "number", "overall_responsibility", "follow_up_date", "created_at"]
    inlines = [PlanInterventionInline]


@admin.register(SipEvent)
class SipEventAdmin(ReadOnlyAdmin):
    list_display = ["sip", "kind", "at", "by"]
    list_filter = ["kind"]
