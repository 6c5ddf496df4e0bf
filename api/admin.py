"""Administrators issue and revoke API keys here (or with ``manage.py
api_client_create``). The key is shown once, in the message after saving."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import (
    ApiClient,
    ApiEvent,
    Scope,
    WebhookDelivery,
    WebhookEventType,
    WebhookSubscription,
)
from .services import api_client_create, api_client_revoke
from .webhooks import url_check, webhook_subscription_create, webhook_subscription_revoke


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


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("event types"),
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookSubscription
        fields = ["organisation", "client", "url", "event_types"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            url_check(url)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.message_dict["url"]) from error
        return url

    def clean(self):
        cleaned = super().clean()
        client, organisation = cleaned.get("client"), cleaned.get("organisation")
        if (
            client is not None
            and organisation is not None
            and client.organisation_id != organisation.pk
        ):
            self.add_error("client", _("The API client acts for another organisation."))
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions are created here; the signing secret is shown once, after saving."""

    form = WebhookSubscriptionForm
    list_display = ["url", "organisation", "client", "event_types", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["url", "organisation__name", "client__name"]
    autocomplete_fields = ["organisation"]
    readonly_fields = ["created_at", "created_by", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # the owner never changes; the address and the types may
            return [*self.readonly_fields, "organisation", "client"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["url", "event_types"])
            return
        subscription = webhook_subscription_create(
            organisation=form.cleaned_data["organisation"],
            client=form.cleaned_data.get("client"),
            url=form.cleaned_data["url"],
            event_types=form.cleaned_data["event_types"],
            by=request.user,
        )
        obj.pk = subscription.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            _("The signing secret of %(subscription)s, shown only now: %(secret)s")
            % {"subscription": subscription, "secret": subscription.secret},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: its deliveries keep pointing at it

    @admin.action(description=_("Revoke the selected webhook subscriptions"))
    def revoke(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_revoke(subscription=subscription, by=request.user)
        messages.success(request, _("The subscriptions have been revoked."))


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: rows are written when events happen and changed only by delivery."""

    list_display = [
        "pk",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "idempotency_key", "subscription__url"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
