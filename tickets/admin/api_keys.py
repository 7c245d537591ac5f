"""API keys (made through ``api_key_create``: the key is shown once, in a message) and the
shops' integration settings: their queues and webhook secret."""

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.models import ApiKey
from tickets.services.integrations import api_key_create, api_key_revoke


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ("name", "shop", "staff", "scopes")

    def clean(self):
        data = super().clean()
        if bool(data.get("shop")) == bool(data.get("staff")):
            raise forms.ValidationError(
                _("A key belongs to a shop or to a staff member (one of them).")
            )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "owner", "prefix", "scope_list", "created_at", "last_used_at", "state")
    list_filter = (("shop", admin.RelatedOnlyFieldListFilter), "revoked_at")
    search_fields = ("name", "prefix", "shop__code", "staff__name")
    list_select_related = ("shop", "staff")
    actions = ["revoke"]
    autocomplete_fields = ("staff",)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("name", "shop", "staff", "scope_list", "prefix", "created_at", "created_by",
                "last_used_at", "revoked_at")  # fmt: skip

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "shop", "staff", "scopes")
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("owner"))
    def owner(self, key: ApiKey) -> str:
        return str(key.shop or key.staff)

    @admin.display(description=_("scopes"))
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    @admin.display(description=_("state"))
    def state(self, key: ApiKey) -> str:
        if key.revoked_at:
            return format_html('<span class="badge">{}</span>', _("revoked"))
        return _("active")

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, raw = api_key_create(
            name=form.cleaned_data["name"],
            shop=form.cleaned_data.get("shop"),
            staff=form.cleaned_data.get("staff"),
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
        )
        obj.pk = key.pk
        messages.warning(
            request,
            format_html(
                "{} <code>{}</code>",
                _("The new key — copy it now, it is not shown again:"),
                raw,
            ),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected keys"), permissions=["revoke"])
    def revoke(self, request, queryset):
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            api_key_revoke(key=key)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(keys))
            % {"count": len(keys)},
        )

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("tickets.change_apikey")
