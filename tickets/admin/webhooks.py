"""Shops' integrations: webhook subscriptions, the outbound delivery log (dead letters are
re-sent from here) and the inbound platform events, for the director."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.models import InboundEvent, WebhookDelivery, WebhookEvent, WebhookSubscription
from tickets.services.webhooks import webhook_resend, webhook_url_check


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """A log: listed and opened, never added, edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick none to hear about every event."),
    )

    class Meta:
        model = WebhookSubscription
        fields = ("shop", "url", "events", "is_active")

    def clean_url(self) -> str:
        """http(s) only, and no internal host (see ``webhook_url_check``)."""
        url = self.cleaned_data["url"]
        try:
            webhook_url_check(url)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["url"]) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("shop", "url", "events_display", "is_active", "created_at")
    list_filter = ("shop", "is_active")
    search_fields = ("url", "shop__code", "shop__name")
    list_select_related = ("shop",)

    @admin.display(description=_("events"))
    def events_display(self, subscription: WebhookSubscription) -> str:
        if not subscription.events:
            return _("Every event")
        labels = dict(WebhookEvent.choices)
        return ", ".join(str(labels.get(event, event)) for event in subscription.events)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyLogAdmin):
    """Every event sent to a shop's URL, with what the last attempt got back."""

    list_display = (
        "created_at",
        "event",
        "url",
        "ticket",
        "status",
        "attempts",
        "last_response_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event", "subscription__shop")
    search_fields = ("event_id", "ticket__number", "subscription__url")
    list_select_related = ("subscription__shop", "ticket")
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = (
        "event",
        "event_id",
        "url",
        "ticket",
        "status",
        "attempts",
        "last_response_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "payload_display",
    )
    readonly_fields = fields

    @admin.display(description=_("URL"), ordering="subscription__url")
    def url(self, delivery: WebhookDelivery) -> str:
        return delivery.subscription.url

    @admin.display(description=_("payload"))
    def payload_display(self, delivery: WebhookDelivery) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(delivery.payload, ensure_ascii=False, indent=2)
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Re-send selected deliveries"), permissions=["resend"])
    def resend(self, request: HttpRequest, queryset) -> None:
        selected = queryset.count()
        queued = webhook_resend(queryset)
        messages.success(
            request,
            ngettext(
                "%(count)d delivery will be sent again.",
                "%(count)d deliveries will be sent again.",
                queued,
            )
            % {"count": queued},
        )
        if queued < selected:
            messages.warning(
                request,
                ngettext(
                    "%(count)d delivery was being sent right now and was left alone.",
                    "%(count)d deliveries were being sent right now and were left alone.",
                    selected - queued,
                )
                % {"count": selected - queued},
            )


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyLogAdmin):
    """Platform events shops pushed, once each, and what was done with them."""

    list_display = (
        "received_at",
        "shop",
        "event_id",
        "event_type",
        "occurred_at",
        "ticket",
        "outcome",
    )
    list_filter = ("shop", "event_type")
    search_fields = ("event_id", "order_ref", "ticket__number")
    list_select_related = ("shop", "ticket")
    date_hierarchy = "received_at"
