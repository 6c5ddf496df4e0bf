"""Administrators issue and revoke API keys here (or with ``manage.py
api_client_create``). The key is shown once, in the message after saving."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import ApiClient, ApiEvent, Scope
from .services import api_client_create, api_client_revoke


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ["organisation", "name", "scopes"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "organisation",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    search_fields = ["name", "organisation__name", "key_prefix"]
    autocomplete_fields = ["organisation"]
    readonly_fields = [
        "key_prefix",
        "user",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # the organisation and key never change; scopes may
            return [*self.readonly_fields, "organisation"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "scopes"])
            return
        issued = api_client_create(
            organisation=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            by=request.user,
        )
        obj.pk = issued.client.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            _("The key of %(client)s, shown only now: %(key)s")
            % {"client": issued.client, "key": issued.key},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: its events and access-log rows keep pointing at it

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request, queryset):
        for client in queryset:
            api_client_revoke(client=client, by=request.user)
        messages.success(request, _("The keys have been revoked."))


@admin.register(ApiEvent)
class ApiEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "kind", "client", "response_status", "received_at"]
    list_filter = ["kind"]
    search_fields = ["event_id", "client__name"]
    readonly_fields = [f.name for f in ApiEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
