from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    DischargeEvent,
    DischargeProcess,
    DischargeUnit,
    EstimatedDischargeDate,
    PaymentAgreement,
    PaymentAgreementLevel,
    PaymentDayRate,
    ReadyForDischargeNotice,
)
from .services import payment_level_periods_overlap


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


class LevelFormSet(forms.BaseInlineFormSet):
    """Refuses levels whose periods overlap within a care type (nothing is saved)."""

    def clean(self):
        super().clean()
        periods = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("valid_from_date"):
                continue
            periods.append((data["care_type"], data["valid_from_date"], data.get("valid_to_date")))
        if payment_level_periods_overlap(periods):
            raise forms.ValidationError(
                _("The period overlaps another period of the same care type.")
            )


class LevelInline(admin.TabularInline):
    model = PaymentAgreementLevel
    formset = LevelFormSet
    extra = 0


class PaymentAgreementForm(forms.ModelForm):
    class Meta:
        model = PaymentAgreement
        fields = [
            "name",
            "version",
            "valid_from_year",
            "valid_to_year",
            "model",
            "day_count",
            "settlement_months",
            "cutoff_time",
            "is_statutory_default",
            "source",
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from_year"), data.get("valid_to_year")
        if start is None or data.get("is_statutory_default"):
            return data
        if end is not None and end < start:
            raise forms.ValidationError(_("The agreement ends before it starts."))
        others = PaymentAgreement.objects.filter(is_statutory_default=False).exclude(
            pk=self.instance.pk
        )
        for other in others:
            other_end = other.valid_to_year or 9999
            if start <= other_end and (end or 9999) >= other.valid_from_year:
                raise forms.ValidationError(
                    _("The years overlap those of %(other)s: end that agreement first.")
                    % {"other": other}
                )
        return data


@admin.register(PaymentAgreement)
class PaymentAgreementAdmin(admin.ModelAdmin):
    """Agreement versions with their levels per care type and period."""

    form = PaymentAgreementForm
    inlines = [LevelInline]
    list_display = [
        "name",
        "version",
        "model",
        "valid_from_year",
        "valid_to_year",
        "day_count",
        "cutoff_time",
        "is_statutory_default",
        "source",
    ]


@admin.register(PaymentDayRate)
class PaymentDayRateAdmin(admin.ModelAdmin):
    """Read-only here: amounts are entered on the page for amounts per vårddygn
    (``oversight``), which refuses a second amount for a year unless replaced
    explicitly."""

    list_display = ["year", "amount_sek", "confirmed", "source", "recorded_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
