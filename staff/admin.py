"""Admin for supervisors, managers, HR and the director: every list is scoped, every write
goes through ``staff.services``."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin

from csmanage import spreadsheets
from csmanage.admin import KeyListFilter, ScopedHistoryAdmin
from staff import services
from staff.forms import OffboardingForm, StaffAddForm, StaffAdminForm, TeamAdminForm
from staff.models import OffboardingRecord, Staff, Team
from staff.resources import StaffResource
from staff.selectors import scope_for, staff_list_for, staff_of, team_list_for


class ScopedTeamFilter(KeyListFilter):
    title = _("team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        return [(team.pk, str(team)) for team in team_list_for(user=request.user)]

    def queryset(self, request, queryset):
        if (team_id := self.key()) is not None:
            return queryset.filter(team_id=team_id)
        return queryset


@admin.register(Staff)
class StaffAdmin(ImportExportModelAdmin, ScopedHistoryAdmin):
    form = StaffAdminForm
    resource_classes = [StaffResource]
    import_formats = spreadsheets.IMPORT_FORMATS
    export_formats = spreadsheets.EXPORT_FORMATS
    list_display = (
        "employee_number",
        "name",
        "role",
        "team",
        "reports_to",
        "status",
        "onboarding_passed",
        "hire_date",
    )
    list_display_links = ("employee_number", "name")
    list_filter = ("role", ScopedTeamFilter, "status", "specialisation", "onboarding_passed")
    search_fields = ("name", "employee_number", "user__username", "mobile")
    list_select_related = ("team", "reports_to")
    list_per_page = 50
    actions = ["offboard"]
    history_list_display = ("role", "team", "status")

    def get_queryset(self, request: HttpRequest):
        return staff_list_for(user=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = StaffAddForm
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = staff_of(request.user)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = team_list_for(user=request.user)
        elif db_field.name == "reports_to":
            actor = staff_of(request.user)
            visible = Q(scope_for(request.user).q())
            if actor is not None:
                visible |= Q(pk=actor.reports_to_id)
            kwargs["queryset"] = Staff.objects.filter(visible).exclude(status=Staff.Status.LEFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        actor = staff_of(request.user)
        if actor is not None and actor.role == Staff.Role.SUPERVISOR:
            return ("role", "team", "reports_to")
        return ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Staff, form: StaffAdminForm, change: bool) -> None:
        actor = staff_of(request.user)
        data = {
            field: form.cleaned_data[field]
            for field in services.STAFF_EDITABLE_FIELDS
            if field in form.cleaned_data
        }
        if change:
            services.staff_update(actor=actor, staff=obj, **data)
            return
        staff = services.staff_create(
            actor=actor,
            username=form.cleaned_data["username"],
            email=form.cleaned_data.get("email", ""),
            password=form.cleaned_data.get("password") or None,
            employee_number=form.cleaned_data["employee_number"],
            **data,
        )
        obj.pk, obj.user_id = staff.pk, staff.user_id

    def get_import_resource_kwargs(self, request, **kwargs):
        return {
            **super().get_import_resource_kwargs(request, **kwargs),
            **self._resource_kwargs(request),
        }

    def get_export_resource_kwargs(self, request, **kwargs):
        return {
            **super().get_export_resource_kwargs(request, **kwargs),
            **self._resource_kwargs(request),
        }

    def _resource_kwargs(self, request: HttpRequest) -> dict:
        return {"actor": staff_of(request.user), "user": request.user}

    @admin.action(description=_("Offboard selected staff (disable login, record hand-back)"))
    def offboard(self, request: HttpRequest, queryset) -> HttpResponse | None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        queryset = queryset.exclude(status=Staff.Status.LEFT)
        form = OffboardingForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = staff_of(request.user)
            done = 0
            for staff in queryset:
                try:
                    services.staff_offboard(actor=actor, staff=staff, **form.cleaned_data)
                except (PermissionDenied, ValidationError) as error:
                    messages.error(
                        request, f"{staff}: {' '.join(getattr(error, 'messages', [str(error)]))}"
                    )
                else:
                    done += 1
            if done:
                messages.success(
                    request,
                    ngettext("%(count)d person offboarded.", "%(count)d people offboarded.", done)
                    % {"count": done},
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Offboard staff"),
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/staff/offboard.html", context)


@admin.register(Team)
class TeamAdmin(ScopedHistoryAdmin):
    form = TeamAdminForm
    list_display = ("name", "kind", "parent", "leader", "member_count")
    list_filter = ("kind",)
    search_fields = ("name", "leader__name")
    list_select_related = ("parent", "leader")

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .filter(scope_for(request.user).teams_q())
            .annotate(member_total=Count("members", filter=~Q(members__status=Staff.Status.LEFT)))
        )

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, team: Team) -> int:
        return team.member_total

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = staff_of(request.user)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = team_list_for(user=request.user).filter(kind=Team.Kind.DEPARTMENT)
        elif db_field.name == "leader":
            kwargs["queryset"] = (
                staff_list_for(user=request.user)
                .filter(role__in=[Staff.Role.MANAGER, Staff.Role.SUPERVISOR])
                .exclude(status=Staff.Status.LEFT)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Team, form: TeamAdminForm, change: bool) -> None:
        actor = staff_of(request.user)
        data = form.cleaned_data
        if change:
            team = services.team_update(
                actor=actor,
                team=obj,
                name=data["name"],
                kind=data["kind"],
                parent=data.get("parent"),
            )
            services.team_set_leader(actor=actor, team=team, leader=data.get("leader"))
        else:
            team = services.team_create(
                actor=actor, name=data["name"], kind=data["kind"], parent=data.get("parent")
            )
        obj.pk, obj.path = team.pk, team.path


@admin.register(OffboardingRecord)
class OffboardingRecordAdmin(admin.ModelAdmin):
    list_display = ("staff", "left_on", "processed_by", "reason", "created_at")
    search_fields = ("staff__name", "staff__employee_number")
    date_hierarchy = "left_on"
    list_select_related = ("staff", "processed_by")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
