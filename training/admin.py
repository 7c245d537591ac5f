"""Training in the admin: the catalogue, grade scales, plans and sessions; enrolments with
attendance and scores (and their import from a sheet, and export); certificates,
retraining flags and alerts.

Records of people are listed within the user's scope (``staff.selectors.scope_for``).
Enrolment, attendance, scores, retakes and retraining decisions go through
``training.services``, so a score is graded and acted on (certificate, on post, retraining
flag) exactly as anywhere else. Catalogue, grade scales and plans have no service: they are
set-up rows edited as they are.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin

from csmanage import spreadsheets
from csmanage.admin import KeyListFilter
from staff.models import Staff, Team
from staff.selectors import scope_for, staff_list_for, staff_of, team_list_for
from training import exports, services
from training.imports import scores_import
from training.models import (
    Certificate,
    Course,
    CourseMaterial,
    Enrolment,
    GradeScale,
    RetrainingFlag,
    TrainingAlert,
    TrainingPlan,
    TrainingSession,
)
from training.resources import SCORE_COLUMNS, EnrolmentResource

Role = Staff.Role
Attendance = Enrolment.Attendance
SCORE_FIELDS = tuple(SCORE_COLUMNS.values())
NOT_ATTENDED = (Attendance.ABSENT, Attendance.EXCUSED)
NO_STAFF_RECORD = _("This login has no staff record; training is recorded against a staff member.")


def _reason(error: Exception) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


def _actor(request: HttpRequest) -> Staff | None:
    """Who acts in the services: the user's staff record; None (the system, no scope) only
    for a superuser without one."""
    actor = staff_of(request.user)
    if actor is None and not request.user.is_superuser:
        raise PermissionDenied(NO_STAFF_RECORD)
    return actor


def _sessions_run_by(user) -> Q:
    """Sessions that are the user's business: someone in scope is in it or teaches it, or
    it belongs to the plan of a department in scope."""
    scope = scope_for(user)
    if scope.everyone:
        return Q()
    return (
        Q(pk__in=Enrolment.objects.filter(scope.q("staff")).values("session_id"))
        | Q(trainer__in=Staff.objects.filter(scope.q()))
        | Q(plan__department__in=Team.objects.filter(scope.teams_q()))
    )


class StaffTeamFilter(KeyListFilter):
    """The trainee's team among those in scope (a department includes its groups)."""

    title = _("team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        return [(team.pk, str(team)) for team in team_list_for(user=request.user)]

    def queryset(self, request, queryset):
        if (team := self.key()) is not None:
            return queryset.filter(Q(staff__team_id=team) | Q(staff__team__parent_id=team))
        return queryset


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the services write; the admin only shows them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _action_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    form: forms.Form,
    *,
    action: str,
    title: str,
    intro: str,
    submit: str,
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit,
        "action": action,
        "queryset": queryset,
        "form": form,
        "opts": model_admin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/training/action_form.html", context)


# ── Catalogue, grade scales, plans ───────────────────────────────────────────────────────


class CourseAdminForm(forms.ModelForm):
    required_for_roles = forms.MultipleChoiceField(
        label=_("required for roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Staff in these roles must pass this course."),
    )

    class Meta:
        model = Course
        fields = (
            "name",
            "category",
            "purpose",
            "description",
            "duration_hours",
            "required_for_roles",
            "required_within_days",
            "certificate_months",
            "is_active",
        )


class CourseMaterialInline(admin.TabularInline):
    model = CourseMaterial
    fields = ("title", "file", "url")
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    form = CourseAdminForm
    list_display = (
        "name",
        "category",
        "purpose",
        "duration_hours",
        "required_roles",
        "required_within_days",
        "certificate_months",
        "is_active",
    )
    list_filter = ("category", "purpose", "is_active")
    search_fields = ("name", "description")
    inlines = (CourseMaterialInline,)

    @admin.display(description=_("required for roles"))
    def required_roles(self, course: Course) -> str:
        return "、".join(str(Role(role).label) for role in course.required_for_roles)

    def save_model(self, request, obj: Course, form, change: bool) -> None:
        services.course_save(actor=_actor(request), course=obj)


class GradeScaleAdminForm(forms.ModelForm):
    class Meta:
        model = GradeScale
        fields = (
            "name",
            "pass_from",
            "good_from",
            "excellent_from",
            "weight_classroom",
            "weight_homework",
            "weight_case",
            "weight_drill",
            "weight_exam",
            "is_default",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        weights = [cleaned.get(weight) for weight in services.PARTS.values()]
        if None not in weights and sum(weights) != 100:
            raise forms.ValidationError(
                _("The weights add up to %(total)d; they must add up to 100.")
                % {"total": sum(weights)}
            )
        return cleaned


@admin.register(GradeScale)
class GradeScaleAdmin(admin.ModelAdmin):
    form = GradeScaleAdminForm
    list_display = (
        "name",
        "pass_from",
        "good_from",
        "excellent_from",
        "weight_classroom",
        "weight_homework",
        "weight_case",
        "weight_drill",
        "weight_exam",
        "is_default",
    )


class TrainingPlanAdminForm(forms.ModelForm):
    """The sessions planned per quarter as four numbers rather than raw JSON."""

    q1 = forms.IntegerField(label=_("Q1 sessions"), min_value=0, max_value=1000, initial=0)
    q2 = forms.IntegerField(label=_("Q2 sessions"), min_value=0, max_value=1000, initial=0)
    q3 = forms.IntegerField(label=_("Q3 sessions"), min_value=0, max_value=1000, initial=0)
    q4 = forms.IntegerField(label=_("Q4 sessions"), min_value=0, max_value=1000, initial=0)
    QUARTERS = ("q1", "q2", "q3", "q4")

    class Meta:
        model = TrainingPlan
        fields = ("department", "year", "title", "goal", "content", "owner", "budget")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        planned = [*(self.instance.planned_sessions or []), 0, 0, 0, 0]
        for field, count in zip(self.QUARTERS, planned, strict=False):
            self.initial.setdefault(field, count)

    def _post_clean(self) -> None:
        self.instance.planned_sessions = [self.cleaned_data.get(q) or 0 for q in self.QUARTERS]
        super()._post_clean()


@admin.register(TrainingPlan)
class TrainingPlanAdmin(admin.ModelAdmin):
    form = TrainingPlanAdminForm
    fieldsets = (
        (None, {"fields": ("department", "year", "title", "goal", "content", "owner", "budget")}),
        (_("sessions planned per quarter"), {"fields": (("q1", "q2", "q3", "q4"),)}),
    )
    list_display = ("year", "title", "department", "owner", "budget", "session_count")
    list_filter = ("year",)
    search_fields = ("title", "goal", "department__name")
    list_select_related = ("department", "owner")

    def get_queryset(self, request: HttpRequest):
        departments = Team.objects.filter(scope_for(request.user).teams_q())
        return (
            super()
            .get_queryset(request)
            .filter(department__in=departments)
            .annotate(session_total=Count("sessions"))
        )

    @admin.display(description=_("sessions"), ordering="session_total")
    def session_count(self, plan: TrainingPlan) -> int:
        return plan.session_total

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            kwargs["queryset"] = team_list_for(user=request.user).filter(kind=Team.Kind.DEPARTMENT)
        elif db_field.name == "owner":
            kwargs["queryset"] = staff_list_for(user=request.user).exclude(status=Staff.Status.LEFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: TrainingPlan, form, change: bool) -> None:
        services.plan_save(actor=_actor(request), plan=obj)


# ── Sessions ─────────────────────────────────────────────────────────────────────────────


class TrainingSessionAdminForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = (
            "course",
            "plan",
            "title",
            "kind",
            "trainer",
            "external_trainer",
            "starts_at",
            "ends_at",
            "place",
            "is_online",
            "capacity",
            "status",
            "cost",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "title" in self.fields:
            self.fields["title"].required = False
            self.fields["title"].help_text = _("Empty: the course's name.")

    def clean(self) -> dict:
        cleaned = super().clean()
        if not (cleaned.get("title") or "").strip() and cleaned.get("course"):
            cleaned["title"] = cleaned["course"].name
        capacity = cleaned.get("capacity")
        if self.instance.pk and capacity is not None:
            enrolled = self.instance.enrolments.count()
            if capacity < enrolled:
                self.add_error(
                    "capacity",
                    _("%(count)d people are already enrolled.") % {"count": enrolled},
                )
        return cleaned


class EnrolmentInline(admin.TabularInline):
    """Who is in the session (those in the user's scope), each linking to their enrolment."""

    model = Enrolment
    fk_name = "session"
    fields = readonly_fields = ("staff", "attempt", "attendance", "result", "grade")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(scope_for(request.user).q("staff"))
            .select_related("staff")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EnrolForm(forms.Form):
    """Who to enrol: a team (a department includes its groups), everyone in scope with a
    role, and/or people by name."""

    team = forms.ModelChoiceField(label=_("team"), queryset=Team.objects.none(), required=False)
    role = forms.ChoiceField(
        label=_("role"), choices=[("", "---------"), *Role.choices], required=False
    )
    people = forms.ModelMultipleChoiceField(
        label=_("people"),
        queryset=Staff.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = team_list_for(user=user)
        self.fields["people"].queryset = staff_list_for(user=user).exclude(status=Staff.Status.LEFT)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not (cleaned.get("team") or cleaned.get("role") or cleaned.get("people")):
            raise forms.ValidationError(_("Choose a team, a role or people."))
        return cleaned


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    form = TrainingSessionAdminForm
    list_display = (
        "title",
        "course",
        "kind",
        "starts_at",
        "place",
        "trainer",
        "status",
        "capacity",
        "enrolled",
    )
    list_filter = ("status", "kind", "course", "is_online")
    search_fields = ("title", "course__name", "place", "external_trainer")
    date_hierarchy = "starts_at"
    list_select_related = ("course", "trainer")
    inlines = (EnrolmentInline,)
    actions = ("enrol_people", "download_score_sheet")

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .filter(_sessions_run_by(request.user) | Q(status=TrainingSession.Status.PLANNED))
            .annotate(enrolled_total=Count("enrolments"))
        )

    @admin.display(description=_("enrolled"), ordering="enrolled_total")
    def enrolled(self, session: TrainingSession) -> int:
        return session.enrolled_total

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None:  # a new session is planned; its cost is entered once it is held
            fields = [name for name in fields if name not in ("status", "cost")]
        return fields

    def has_change_permission(self, request, obj=None) -> bool:
        """Planned sessions are open to all leads (to enrol their people); a session is
        changed by those whose business it is."""
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        return TrainingSession.objects.filter(_sessions_run_by(request.user), pk=obj.pk).exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a session that will not happen is cancelled, keeping its records

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "trainer":
            kwargs["queryset"] = staff_list_for(user=request.user).exclude(status=Staff.Status.LEFT)
        elif db_field.name == "plan":
            departments = Team.objects.filter(scope_for(request.user).teams_q())
            kwargs["queryset"] = TrainingPlan.objects.filter(department__in=departments)
        elif db_field.name == "course":
            kwargs["queryset"] = Course.objects.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj: TrainingSession, form, change: bool) -> None:
        if change:
            try:
                services.session_update(
                    actor=_actor(request),
                    session=obj,
                    **{field: form.cleaned_data[field] for field in form.changed_data},
                )
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, _reason(error), level=messages.ERROR)
            return
        data = form.cleaned_data
        session = services.session_create(
            actor=_actor(request),
            course=data["course"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            title=data.get("title", ""),
            kind=data["kind"],
            trainer=data.get("trainer"),
            external_trainer=data.get("external_trainer", ""),
            place=data.get("place", ""),
            is_online=data.get("is_online", False),
            capacity=data.get("capacity"),
            plan=data.get("plan"),
        )
        obj.pk, obj.created_at = session.pk, session.created_at

    @admin.action(description=_("Enrol a team, a role or people…"), permissions=["change"])
    def enrol_people(self, request: HttpRequest, queryset) -> HttpResponse | None:
        form = EnrolForm(request.POST if "confirm" in request.POST else None, user=request.user)
        if not (form.is_bound and form.is_valid()):
            return _action_page(
                self,
                request,
                queryset,
                form,
                action="enrol_people",
                title=_("Enrol in training sessions"),
                intro=_(
                    "Everyone in the team, everyone in your scope with the role, and the "
                    "people chosen are enrolled in each session below; those already in it "
                    "stay as they are."
                ),
                submit=_("Enrol"),
            )
        actor = _actor(request)
        data = form.cleaned_data
        in_scope = set(staff_list_for(user=request.user).values_list("pk", flat=True))
        people = [
            person
            for person in services.people_for(
                staff=data["people"], team=data["team"], role=data["role"] or None
            )
            if person.pk in in_scope
        ]
        for session in queryset:
            try:
                new = services.enrol(actor=actor, session=session, people=people)
            except (PermissionDenied, ValidationError) as error:
                messages.error(request, f"{session}: {_reason(error)}")
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(session)s: %(count)d person enrolled.",
                        "%(session)s: %(count)d people enrolled.",
                        len(new),
                    )
                    % {"session": session, "count": len(new)},
                )
        return None

    @admin.action(description=_("Download the attendance and score sheet"), permissions=["view"])
    def download_score_sheet(self, request: HttpRequest, queryset) -> HttpResponse:
        enrolments = Enrolment.objects.filter(
            scope_for(request.user).q("staff"), session__in=queryset
        )
        return exports.score_sheet_xlsx_response(enrolments)


# ── Enrolments: attendance and scores ────────────────────────────────────────────────────


class EnrolmentAdminForm(forms.ModelForm):
    """Attendance and scores, checked with the services' rules so a refusal shows on the
    form; saved through ``attendance_record`` and ``assessment_record``."""

    actor: Staff | None = None

    class Meta:
        model = Enrolment
        fields = ("attendance", *SCORE_FIELDS)

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        staff = self.instance.staff
        if self.actor is not None and not services.may_manage(self.actor, staff):
            raise forms.ValidationError(
                _("You cannot manage the training of %(names)s.") % {"names": staff.name}
            )
        if [name for name in SCORE_FIELDS if name in self.changed_data]:
            if cleaned.get("attendance") in NOT_ATTENDED:
                raise forms.ValidationError(_("Someone who did not attend cannot be assessed."))
            try:
                services.grade_scale()
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return cleaned


class ScoresImportForm(forms.Form):
    file = forms.FileField(
        label=_("sheet"),
        help_text=_("XLSX, or CSV in UTF-8 or GB18030 (as Excel saves it)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class RetakeForm(forms.Form):
    session = forms.ModelChoiceField(
        label=_("retake session"), queryset=TrainingSession.objects.none()
    )

    def __init__(self, *args, courses: QuerySet[Course], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = TrainingSession.objects.filter(
            course__in=courses,
            status=TrainingSession.Status.PLANNED,
            starts_at__gt=timezone.now(),
        ).select_related("course")


def _attendance_action(attendance: str, description) -> Callable:
    def record(model_admin, request: HttpRequest, queryset) -> None:
        model_admin.record_each(
            request,
            queryset,
            lambda actor, enrolment: services.attendance_record(
                actor=actor, enrolment=enrolment, attendance=attendance
            ),
        )

    record.__name__ = f"mark_{attendance}"
    return admin.action(description=description, permissions=["change"])(record)


@admin.register(Enrolment)
class EnrolmentAdmin(ExportMixin, admin.ModelAdmin):
    form = EnrolmentAdminForm
    resource_classes = [EnrolmentResource]
    export_formats = spreadsheets.EXPORT_FORMATS
    import_export_change_list_template = "admin/training/enrolment/change_list.html"
    list_display = (
        "session",
        "staff",
        "team",
        "attempt",
        "attendance",
        *SCORE_FIELDS,
        "result",
        "grade",
    )
    list_display_links = ("session", "staff")
    list_filter = (
        "attendance",
        "grade",
        StaffTeamFilter,
        "session__course",
        "session__status",
        "attempt",
    )
    search_fields = ("staff__name", "staff__employee_number", "session__title")
    date_hierarchy = "session__starts_at"
    list_select_related = ("session", "staff__team")
    list_per_page = 50
    actions = (
        _attendance_action(Attendance.PRESENT, _("Mark present")),
        _attendance_action(Attendance.LATE, _("Mark late")),
        _attendance_action(Attendance.ABSENT, _("Mark absent")),
        _attendance_action(Attendance.EXCUSED, _("Mark excused")),
        "enrol_retake",
    )
    fieldsets = (
        (None, {"fields": ("session", "staff", ("attempt", "retake_of"), "attendance")}),
        (
            _("Assessment"),
            {
                "fields": (
                    *SCORE_FIELDS,
                    ("result", "grade"),
                    ("assessed_at", "assessed_by"),
                    "certificate_expires",
                )
            },
        ),
        (_("Feedback"), {"fields": ("feedback_score", "feedback_comment")}),
    )
    readonly_fields = (
        "session",
        "staff",
        "attempt",
        "retake_of",
        "result",
        "grade",
        "assessed_at",
        "assessed_by",
        "certificate_expires",
        "feedback_score",
        "feedback_comment",
    )

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    @admin.display(description=_("team"), ordering="staff__team__name")
    def team(self, enrolment: Enrolment) -> str:
        return str(enrolment.staff.team or "—")

    @admin.display(description=_("certificate expires"))
    def certificate_expires(self, enrolment: Enrolment):
        certificate = getattr(enrolment, "certificate", None)
        return certificate.expires_on if certificate else "—"

    def has_add_permission(self, request) -> bool:
        return False  # people are enrolled from the session list ("Enrol a team…")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = staff_of(request.user)
        return form

    def save_model(self, request, obj: Enrolment, form: EnrolmentAdminForm, change: bool) -> None:
        actor = _actor(request)
        if "attendance" in form.changed_data:
            services.attendance_record(
                actor=actor, enrolment=obj, attendance=form.cleaned_data["attendance"]
            )
        scores = {
            name: form.cleaned_data[name] for name in SCORE_FIELDS if name in form.changed_data
        }
        if scores:
            services.assessment_record(actor=actor, enrolment=obj, scores=scores)

    def record_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Enrolment],
        record: Callable[[Staff | None, Enrolment], object],
    ) -> None:
        """Apply ``record`` to each enrolment on its own; report what was refused."""
        actor = _actor(request)
        done = 0
        for enrolment in queryset.select_related("staff", "session"):
            try:
                record(actor, enrolment)
            except (PermissionDenied, ValidationError) as error:
                messages.error(request, f"{enrolment}: {_reason(error)}")
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d enrolment updated.", "%(count)d enrolments updated.", done)
                % {"count": done},
            )

    @admin.action(description=_("Enrol in a retake…"), permissions=["change"])
    def enrol_retake(self, request: HttpRequest, queryset) -> HttpResponse | None:
        courses = Course.objects.filter(sessions__enrolments__in=queryset).distinct()
        form = RetakeForm(request.POST if "confirm" in request.POST else None, courses=courses)
        if form.is_bound and form.is_valid():
            session = form.cleaned_data["session"]
            self.record_each(
                request,
                queryset,
                lambda actor, enrolment: services.retake_enrol(
                    actor=actor, enrolment=enrolment, session=session
                ),
            )
            return None
        return _action_page(
            self,
            request,
            queryset.select_related("staff", "session"),
            form,
            action="enrol_retake",
            title=_("Enrol in a retake"),
            intro=_(
                "Each failed assessment below is retaken once, in a later session of the "
                "same course."
            ),
            submit=_("Enrol"),
        )

    # ── Attendance and scores from a sheet ──

    def get_urls(self):
        return [
            path(
                "import-scores/",
                self.admin_site.admin_view(self.import_scores_view),
                name="training_enrolment_import_scores",
            ),
            path(
                "score-sheet/",
                self.admin_site.admin_view(self.score_sheet_view),
                name="training_enrolment_score_sheet",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_scores_import_permission": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def import_scores_view(self, request: HttpRequest) -> HttpResponse:
        """Attendance and scores from a sheet (``training.imports.scores_import``): all
        rows recorded, or none and every bad row listed."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        actor = _actor(request)
        form = ScoresImportForm(request.POST or None, request.FILES or None)
        errors = []
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            result = scores_import(actor=actor, file=upload, file_name=upload.name)
            if result.ok:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d row recorded",
                        "%(count)d rows recorded",
                        result.imported,
                    )
                    % {"count": result.imported}
                    + ngettext(
                        "; %(count)d row was already up to date.",
                        "; %(count)d rows were already up to date.",
                        result.unchanged,
                    )
                    % {"count": result.unchanged},
                )
                return HttpResponseRedirect(reverse("admin:training_enrolment_changelist"))
            errors = result.errors
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import attendance and scores"),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/training/enrolment_import_scores.html", context)

    def score_sheet_view(self, request: HttpRequest) -> HttpResponse:
        """The sheet to fill in: blank, or with ``?session=<id>`` the people of that session
        in the user's scope and what is recorded so far."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        session_id = request.GET.get("session", "")
        if not session_id.isdigit():
            return exports.score_sheet_xlsx_response()
        return exports.score_sheet_xlsx_response(
            self.get_queryset(request).filter(session_id=int(session_id))
        )


# ── Certificates, retraining flags, alerts ───────────────────────────────────────────────


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ("staff", "course", "issued_on", "expires_on", "valid")
    list_filter = ("course", StaffTeamFilter)
    search_fields = ("staff__name", "staff__employee_number", "course__name")
    date_hierarchy = "expires_on"
    list_select_related = ("staff", "course")
    fields = ("staff", "course", "enrolment", "issued_on", "expires_on")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    @admin.display(description=_("valid"), boolean=True)
    def valid(self, certificate: Certificate) -> bool:
        return certificate.expires_on >= timezone.localdate()


class RetrainingDecisionForm(forms.ModelForm):
    actor: Staff | None = None
    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[
            (RetrainingFlag.Outcome.RETRAIN, RetrainingFlag.Outcome.RETRAIN.label),
            (RetrainingFlag.Outcome.REASSIGN, RetrainingFlag.Outcome.REASSIGN.label),
        ],
    )

    class Meta:
        model = RetrainingFlag
        fields = ("outcome", "note")

    def clean(self) -> dict:
        cleaned = super().clean()
        staff = self.instance.staff
        if self.actor is not None and not services.may_manage(self.actor, staff):
            raise forms.ValidationError(
                _("You cannot manage the training of %(names)s.") % {"names": staff.name}
            )
        return cleaned


@admin.register(RetrainingFlag)
class RetrainingFlagAdmin(admin.ModelAdmin):
    """Failed retakes, for a lead to decide: retrain or reassign (``retraining_decide``)."""

    form = RetrainingDecisionForm
    list_display = ("staff", "course", "outcome", "created_at", "decided_at", "decider")
    list_filter = ("outcome", "course", StaffTeamFilter)
    search_fields = ("staff__name", "staff__employee_number", "course__name")
    list_select_related = ("staff", "course", "decided_by")
    fields = ("staff", "course", "enrolment", "created_at", "outcome", "note", "decider")
    readonly_fields = ("staff", "course", "enrolment", "created_at", "decider")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    @admin.display(description=_("decided by"))
    def decider(self, flag: RetrainingFlag) -> str:
        return flag.decided_by.name if flag.decided_by else "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = staff_of(request.user)
        return form

    def save_model(self, request, obj: RetrainingFlag, form, change: bool) -> None:
        services.retraining_decide(
            actor=_actor(request),
            flag=obj,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data.get("note", ""),
        )


class AlertKindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return TrainingAlert.Kind.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(kind=self.value())
        return queryset


@admin.register(TrainingAlert)
class TrainingAlertAdmin(ReadOnlyAdmin):
    list_display = ("person", "course_name", "kind_label", "due", "raised")
    list_filter = (AlertKindFilter, StaffTeamFilter)
    search_fields = ("staff__name", "staff__employee_number", "course__name")
    list_select_related = ("staff", "course")
    fields = readonly_fields = ("person", "course_name", "kind_label", "due", "raised")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    @admin.display(description=_("staff member"), ordering="staff__name")
    def person(self, alert: TrainingAlert) -> Staff:
        return alert.staff

    @admin.display(description=_("course"), ordering="course__name")
    def course_name(self, alert: TrainingAlert) -> Course:
        return alert.course

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, alert: TrainingAlert) -> str:
        return alert.get_kind_display()

    @admin.display(description=_("due"), ordering="due_on")
    def due(self, alert: TrainingAlert):
        return alert.due_on

    @admin.display(description=_("raised"), ordering="created_at")
    def raised(self, alert: TrainingAlert):
        return alert.created_at
