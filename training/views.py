"""Training pages: "my training" for everyone; for leads and HR, their people's onboarding,
sessions, enrolment, attendance and scores, and the retraining flags to decide."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from csmanage.params import id_param
from staff.models import Staff, Team
from staff.selectors import scope_for, staff_of
from tickets.views.common import _error_text
from training import exports, imports, selectors, services
from training.models import Course, Enrolment, RetrainingFlag, TrainingPlan, TrainingSession

SCORE_FIELD = {"required": False, "min_value": 0, "max_value": 100, "decimal_places": 1}


class AssessmentForm(forms.Form):
    attendance = forms.ChoiceField(
        label=gettext_lazy("Attendance"), choices=Enrolment.Attendance.choices
    )
    pre_score = forms.DecimalField(label=gettext_lazy("Pre-test"), **SCORE_FIELD)
    classroom = forms.DecimalField(label=gettext_lazy("Classroom"), **SCORE_FIELD)
    homework = forms.DecimalField(label=gettext_lazy("Homework"), **SCORE_FIELD)
    case_analysis = forms.DecimalField(label=gettext_lazy("Case analysis"), **SCORE_FIELD)
    drill = forms.DecimalField(label=gettext_lazy("Practical drill"), **SCORE_FIELD)
    exam = forms.DecimalField(label=gettext_lazy("Exam"), **SCORE_FIELD)

    PARTS = ("pre_score", "classroom", "homework", "case_analysis", "drill", "exam")


class FeedbackForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"), coerce=int, choices=[(n, n) for n in range(5, 0, -1)]
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000)


class EnrolForm(forms.Form):
    people = forms.ModelMultipleChoiceField(
        label=gettext_lazy("People"), queryset=Staff.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Whole team"), queryset=Team.objects.none(), required=False
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Everyone in the role"),
        choices=[("", "—"), *Staff.Role.choices],
        required=False,
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = selectors.staff_in_scope(user).order_by("employee_number")
        self.fields["team"].queryset = Team.objects.filter(scope_for(user).teams_q()).order_by(
            "path"
        )


def _staff_or_403(request: HttpRequest) -> Staff:
    """Everyone with a staff record has training (QA and HR included, who have no tickets)."""
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied(_("This login has no staff record."))
    return staff


def _lead_or_403(request: HttpRequest) -> Staff:
    staff = _staff_or_403(request)
    if staff.role not in services.MANAGING_ROLES:
        raise PermissionDenied(_("Only leads and HR manage training."))
    return staff


@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    staff = _staff_or_403(request)
    record = list(selectors.training_record(staff))
    now = timezone.now()
    return render(
        request,
        "training/my_training.html",
        {
            "upcoming": selectors.upcoming_for(staff, now),
            "history": [e for e in record if e.session.ends_at < now],
            "certificates": selectors.certificates_of(staff),
            "feedback_form": FeedbackForm(),
            "today": timezone.localdate(),
            "can_manage": staff.role in services.MANAGING_ROLES,
        },
    )


@login_required
def team_training(request: HttpRequest) -> HttpResponse:
    _lead_or_403(request)
    now = timezone.now()
    sessions = selectors.sessions_for(request.user)
    return render(
        request,
        "training/team.html",
        {
            "onboarding": selectors.onboarding_progress(request.user),
            "flags": selectors.open_retraining_flags(request.user),
            "upcoming": sessions.filter(ends_at__gte=now).order_by("starts_at")[:50],
            "recent": sessions.filter(ends_at__lt=now).order_by("-starts_at")[:30],
            "now": now,
            "plans": selectors.plans_vs_actual(
                TrainingPlan.objects.filter(
                    department__in=Team.objects.filter(scope_for(request.user).teams_q()),
                    year=timezone.localdate().year,
                ).select_related("department", "owner")
            ),
            "courses": selectors.courses_effectiveness(Course.objects.filter(is_active=True)),
            "outcomes": [
                (RetrainingFlag.Outcome.RETRAIN, RetrainingFlag.Outcome.RETRAIN.label),
                (RetrainingFlag.Outcome.REASSIGN, RetrainingFlag.Outcome.REASSIGN.label),
            ],
        },
    )


def _session_for(request: HttpRequest, session_id: int) -> TrainingSession:
    session = selectors.sessions_for(request.user).filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    staff = _lead_or_403(request)
    session = _session_for(request, session_id)
    in_scope = set(selectors.staff_in_scope(request.user).values_list("pk", flat=True))
    enrolments = [
        enrolment
        for enrolment in session.enrolments.select_related("staff__team", "retake_of").order_by(
            "staff__employee_number"
        )
        if enrolment.staff_id in in_scope
    ]
    for enrolment in enrolments:
        enrolment.form = AssessmentForm(
            initial={
                "attendance": enrolment.attendance,
                **{part: getattr(enrolment, part) for part in AssessmentForm.PARTS},
            },
            prefix=f"e{enrolment.pk}",
        )
        for field in enrolment.form.fields.values():  # the row's inputs belong to its form
            field.widget.attrs.update(
                form=f"assess-{enrolment.pk}",
                **{"aria-label": f"{enrolment.staff.name} {field.label}"},
            )
    retake_sessions = TrainingSession.objects.filter(
        course=session.course,
        status=TrainingSession.Status.PLANNED,
        starts_at__gt=session.starts_at,
    ).order_by("starts_at")
    return render(
        request,
        "training/session.html",
        {
            "session": session,
            "enrolments": enrolments,
            "effectiveness": selectors.session_effectiveness(session),
            "enrol_form": EnrolForm(user=request.user),
            "upload_form": ScoresUploadForm(),
            "retake_sessions": retake_sessions,
            "may_run": services.may_run(staff, session),
            "started": session.starts_at <= timezone.now(),
            "me": staff,
        },
    )


#: what the session page's buttons may set, and what each says when done
STATUS_DONE_TEXT = {
    TrainingSession.Status.DONE: gettext_lazy("%(title)s is marked as held."),
    TrainingSession.Status.CANCELLED: gettext_lazy(
        "%(title)s is cancelled; the people enrolled are told."
    ),
    TrainingSession.Status.PLANNED: gettext_lazy("%(title)s is planned again."),
}


@login_required
@require_POST
def session_status(request: HttpRequest, session_id: int) -> HttpResponse:
    """Mark the session held, cancel it, or plan it again."""
    staff = _lead_or_403(request)
    session = _session_for(request, session_id)
    status = request.POST.get("status", "")
    if status not in STATUS_DONE_TEXT:
        messages.error(request, _("Unknown status."))
        return _back(session.pk)
    try:
        services.session_update(actor=staff, session=session, status=status)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, STATUS_DONE_TEXT[status] % {"title": session.title})
    return _back(session.pk)


def _back(session_id: int) -> HttpResponse:
    return redirect("training:session", session_id=session_id)


@login_required
@require_POST
def session_enrol(request: HttpRequest, session_id: int) -> HttpResponse:
    staff = _lead_or_403(request)
    session = _session_for(request, session_id)
    form = EnrolForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(form.errors)))
        return _back(session.pk)
    data = form.cleaned_data
    people = services.people_for(
        staff=data["people"] or [], team=data["team"], role=data["role"] or None
    )
    if not people:
        messages.error(request, _("Choose people, a team or a role to enrol."))
        return _back(session.pk)
    try:
        added = services.enrol(actor=staff, session=session, people=people)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("%(count)d enrolled.") % {"count": len(added)})
    return _back(session.pk)


def _enrolment_for(request: HttpRequest, enrolment_id: int) -> Enrolment:
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("session", "staff"), pk=enrolment_id
    )
    if not selectors.staff_in_scope(request.user).filter(pk=enrolment.staff_id).exists():
        raise Http404
    return enrolment


@login_required
@require_POST
def enrolment_assess(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    staff = _lead_or_403(request)
    enrolment = _enrolment_for(request, enrolment_id)
    form = AssessmentForm(request.POST, prefix=f"e{enrolment.pk}")
    if not form.is_valid():
        messages.error(
            request,
            _("%(name)s: %(errors)s")
            % {"name": enrolment.staff.name, "errors": _error_text(ValidationError(form.errors))},
        )
        return _back(enrolment.session_id)
    data = form.cleaned_data
    try:
        enrolment = services.attendance_record(
            actor=staff, enrolment=enrolment, attendance=data["attendance"]
        )
        scores = {part: data[part] for part in AssessmentForm.PARTS}
        if any(value is not None for value in scores.values()):
            enrolment = services.assessment_record(actor=staff, enrolment=enrolment, scores=scores)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, f"{enrolment.staff.name}: {_error_text(error)}")
        return _back(enrolment.session_id)
    enrolment.staff.refresh_from_db()
    text = _("%(name)s saved.") % {"name": enrolment.staff.name}
    if enrolment.grade:
        text += " " + _("Result %(result)s, %(grade)s.") % {
            "result": enrolment.result,
            "grade": enrolment.get_grade_display(),
        }
    if enrolment.session.course.purpose == "onboarding" and enrolment.passed:
        text += " " + _("%(name)s passed onboarding and is now on post.") % {
            "name": enrolment.staff.name
        }
    messages.success(request, text)
    return _back(enrolment.session_id)


@login_required
@require_POST
def enrolment_retake(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    staff = _lead_or_403(request)
    enrolment = _enrolment_for(request, enrolment_id)
    target = TrainingSession.objects.filter(pk=id_param(request.POST.get("session")) or 0).first()
    if target is None:
        messages.error(request, _("Choose the session for the retake."))
        return _back(enrolment.session_id)
    try:
        services.retake_enrol(actor=staff, enrolment=enrolment, session=target)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("%(name)s is enrolled for the retake on %(date)s.")
            % {
                "name": enrolment.staff.name,
                "date": f"{timezone.localtime(target.starts_at):%Y-%m-%d %H:%M}",
            },
        )
    return _back(enrolment.session_id)


@login_required
@require_POST
def enrolment_feedback(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    staff = _staff_or_403(request)
    enrolment = get_object_or_404(Enrolment, pk=enrolment_id, staff=staff)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_record(
                staff=staff,
                enrolment=enrolment,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Thank you for your feedback."))
    else:
        messages.error(request, _error_text(ValidationError(form.errors)))
    return redirect("training:mine")


@login_required
@require_POST
def flag_decide(request: HttpRequest, flag_id: int) -> HttpResponse:
    staff = _lead_or_403(request)
    flag = selectors.open_retraining_flags(request.user).filter(pk=flag_id).first()
    if flag is None:
        raise Http404
    try:
        services.retraining_decide(
            actor=staff,
            flag=flag,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", "")[:2000],
        )
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Decision recorded for %(name)s.") % {"name": flag.staff.name})
    return redirect("training:team")


@login_required
def my_record_xlsx(request: HttpRequest) -> HttpResponse:
    """My training archive as a spreadsheet (Chinese headers)."""
    staff = _staff_or_403(request)
    return exports.record_xlsx_response(Staff.objects.filter(pk=staff.pk))


@login_required
def session_score_sheet(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session's attendance and score sheet, for the people in my scope, to fill in."""
    _lead_or_403(request)
    session = _session_for(request, session_id)
    return exports.score_sheet_xlsx_response(
        session.enrolments.filter(staff__in=selectors.staff_in_scope(request.user))
    )


class ScoresUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Attendance and score sheet (XLSX or CSV)"))


@login_required
@require_POST
def scores_upload(request: HttpRequest, session_id: int) -> HttpResponse:
    """Import a filled-in sheet: every row applies, or none does and each bad row is named."""
    staff = _lead_or_403(request)
    session = _session_for(request, session_id)
    form = ScoresUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(form.errors)))
        return _back(session.pk)
    upload = form.cleaned_data["file"]
    result = imports.scores_import(actor=staff, file=upload, file_name=upload.name)
    if result.ok:
        messages.success(
            request,
            _("Imported: %(imported)d rows changed, %(unchanged)d unchanged.")
            % {"imported": result.imported, "unchanged": result.unchanged},
        )
    else:
        messages.error(request, _("Nothing was imported: the file has errors."))
        for error in result.errors:
            where = _("Row %(row)d") % {"row": error.row} if error.row is not None else _("File")
            messages.error(request, f"{where}: {error.message}")
    return _back(session.pk)


@login_required
@require_POST
def enrolment_withdraw(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    staff = _lead_or_403(request)
    enrolment = _enrolment_for(request, enrolment_id)
    try:
        services.enrolment_withdraw(actor=staff, enrolment=enrolment)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("%(name)s is off the session.") % {"name": enrolment.staff.name}
        )
    return _back(enrolment.session_id)
