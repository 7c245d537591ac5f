"""Reference data: categories, root causes, tags, shops, canned replies; the reveal log."""

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from csmanage import spreadsheets
from csmanage.admin import KeyListFilter
from staff.models import Staff, Team
from staff.selectors import scope_for, staff_of, team_list_for
from tickets.models import (
    Category,
    Macro,
    PhoneReveal,
    RootCause,
    Shop,
    Tag,
)
from tickets.services.integrations import shop_webhook_secret_rotate

Role = Staff.Role


class SetupAdmin(ImportExportModelAdmin):
    import_formats = spreadsheets.IMPORT_FORMATS
    export_formats = spreadsheets.EXPORT_FORMATS


class TreeAdmin(SetupAdmin):
    list_display = ("name", "parent", "is_active")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter), "is_active")
    search_fields = ("name",)
    list_select_related = ("parent__parent",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = self.model.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    pass


@admin.register(RootCause)
class RootCauseAdmin(TreeAdmin):
    pass


@admin.register(Tag)
class TagAdmin(SetupAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Shop)
class ShopAdmin(SetupAdmin):
    list_display = ("code", "name", "platform", "default_team", "complaint_team", "is_active")
    list_filter = ("platform", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("default_team", "complaint_team")
    readonly_fields = ("webhook_secret",)
    actions = ["webhook_secret_rotate"]

    @admin.action(
        description=_("Give the selected shops a new webhook secret"), permissions=["change"]
    )
    def webhook_secret_rotate(self, request, queryset):
        for shop in queryset:
            shop_webhook_secret_rotate(shop=shop)
        self.message_user(
            request,
            _("New webhook secrets made: tell each shop, the old one no longer signs."),
        )


class MacroTeamFilter(KeyListFilter):
    title = _("team")
    parameter_name = "team"
    EVERYONE = "none"

    def lookups(self, request, model_admin):
        return [(self.EVERYONE, _("Every team"))] + [
            (team.pk, str(team)) for team in team_list_for(user=request.user)
        ]

    def queryset(self, request, queryset):
        if self.value() == self.EVERYONE:
            return queryset.filter(team__isnull=True)
        if (team_id := self.key()) is not None:
            return queryset.filter(team_id=team_id)
        return queryset


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """话术 of the user's teams, and everyone's (which only managers and the director edit)."""

    list_display = ("title", "team", "is_active")
    list_filter = (MacroTeamFilter, "is_active")
    search_fields = ("title", "body")
    list_select_related = ("team",)
    fields = ("title", "team", "body", "is_active")

    def get_queryset(self, request: HttpRequest):
        teams = Team.objects.filter(scope_for(request.user).teams_q())
        return (
            super()
            .get_queryset(request)
            .filter(Q(team__isnull=True) | Q(team__in=teams))
            .select_related("team")
        )

    @staticmethod
    def may_edit_global(request: HttpRequest) -> bool:
        actor = staff_of(request.user)
        if actor is None:
            return request.user.is_superuser
        return actor.role in (Role.MANAGER, Role.DIRECTOR)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "team" in form.base_fields and not self.may_edit_global(request):
            form.base_fields["team"].required = True
            form.base_fields["team"].help_text = ""
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = team_list_for(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.team_id is None and not self.may_edit_global(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.team_id is None and not self.may_edit_global(request):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PhoneReveal)
class PhoneRevealAdmin(admin.ModelAdmin):
    """Who saw a customer's full phone number: an audit list, never edited."""

    list_display = ("created_at", "customer", "staff", "ticket")
    search_fields = ("customer__name", "staff__name", "ticket__number")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "staff", "ticket")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
