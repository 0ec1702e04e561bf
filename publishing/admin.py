"""Webhooks in the admin: subscriptions (the secret is shown once, on creation), the outbox and every
delivery attempt, read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages

from factcheck.admin_base import ReadOnlyAdmin
from publishing import services
from publishing.models import SUBSCRIBABLE, WebhookDelivery, WebhookMessage, WebhookSubscription
from reviewers.roles import can_manage_integrations

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class IntegrationsOnly(admin.ModelAdmin):
    """The integrations role's pages (reviewers/roles.py: the rule the API's webhooks obey too). Staff
    status, or another role's admin access, shows nothing here."""

    def has_module_permission(self, request) -> bool:
        return can_manage_integrations(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_manage_integrations(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return can_manage_integrations(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return can_manage_integrations(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return can_manage_integrations(request.user) and super().has_delete_permission(request, obj)


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = readonly_fields = (
        "attempt",
        "attempted_at",
        "status_code",
        "error",
        "duration_ms",
        "response_snippet",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=SUBSCRIBABLE, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "description", "active"]

    created_by: User | AnonymousUser | None = None  # set per request by the admin's get_form

    def clean_url(self) -> str:
        return services.check_target(self.cleaned_data["url"])  # ValidationError shows on the field

    def clean(self):
        if self.instance.pk is None:
            services.check_quota(self.created_by)  # the API's limit on subscriptions per account
        return super().clean()


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(IntegrationsOnly, admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["url", "events", "active", "disabled_reason", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    fields = ["url", "events", "description", "active", "disabled_reason", "created_by", "created_at"]
    readonly_fields = ["disabled_reason", "created_by", "created_at"]
    actions = ["rotate_secrets"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = cast(type[SubscriptionForm], super().get_form(request, obj, change=change, **kwargs))
        form.created_by = request.user
        return form

    def save_model(self, request, obj, form, change):
        # Through the services, so the address rules and the secret generation are the API's own.
        if change:
            services.update_subscription(
                subscription=obj,
                url=obj.url,
                events=obj.events,
                description=obj.description,
                active=obj.active,
            )
        else:
            created = services.create_subscription(
                url=obj.url, events=obj.events, description=obj.description, created_by=request.user
            )
            obj.pk, obj.secret = created.pk, created.secret
            messages.warning(
                request, f"Signing secret (shown only now, copy it to the receiver): {created.secret}"
            )

    @admin.action(description="Rotate the signing secret (old one stays valid for the grace period)")
    def rotate_secrets(self, request, queryset):
        for subscription in queryset:
            services.rotate_secret(subscription=subscription)
            messages.warning(
                request, f"New secret for {subscription.url} (shown only now): {subscription.secret}"
            )


@admin.register(WebhookMessage)
class WebhookMessageAdmin(IntegrationsOnly, ReadOnlyAdmin):
    list_display = [
        "msg_id",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["msg_id", "subscription__url"]
    readonly_fields = [
        "subscription",
        "msg_id",
        "event_type",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "finished_at",
    ]
    inlines = [DeliveryInline]
    actions = ["resend"]

    @admin.action(description="Send again (same id and body)")
    def resend(self, request, queryset):
        for message in queryset:
            services.resend_message(message=message)
        messages.info(request, "Queued again; the sweeper sends them within a minute.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(IntegrationsOnly, ReadOnlyAdmin):
    list_display = ["message", "attempt", "attempted_at", "status_code", "error", "duration_ms", "succeeded"]
    list_filter = ["succeeded", "error"]
    search_fields = ["message__msg_id", "url"]
    readonly_fields = [
        "message",
        "attempt",
        "attempted_at",
        "url",
        "status_code",
        "error",
        "error_message",
        "duration_ms",
        "response_snippet",
        "succeeded",
    ]
