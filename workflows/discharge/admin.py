from django.contrib import admin

from .models import (
    DischargeEvent,
    DischargeProcess,
    DischargeUnit,
    EstimatedDischargeDate,
    PaymentAgreement,
    PaymentDayRate,
    ReadyForDischargeNotice,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UnitInline(_ReadOnlyInline):
    model = DischargeUnit


class NoticeInline(_ReadOnlyInline):
    model = ReadyForDischargeNotice


class EstimateInline(_ReadOnlyInline):
    model = EstimatedDischargeDate


class EventInline(_ReadOnlyInline):
    model = DischargeEvent


@admin.register(DischargeProcess)
class DischargeProcessAdmin(admin.ModelAdmin):
    """Read-only: discharges change only through the flow and its services."""

    list_display = ["pk", "ward", "admitted_at", "stage", "discharged_at"]
    list_filter = ["stage", "care_type"]
    inlines = [UnitInline, EstimateInline, NoticeInline, EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentAgreement)
class PaymentAgreementAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "version",
        "valid_from_year",
        "valid_to_year",
        "free_days_somatic",
        "free_days_psychiatric",
        "cutoff_time",
        "is_statutory_default",
    ]


@admin.register(PaymentDayRate)
class PaymentDayRateAdmin(admin.ModelAdmin):
    list_display = ["year", "amount_sek", "source"]
