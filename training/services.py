"""Every write to training: sessions, enrolment, attendance, feedback, assessments and what
follows them (grades, certificates, retakes, retraining flags, onboarding → on post).

Who may manage whose training: the director, managers, supervisors and HR, each within
their scope (``staff.selectors.scope_for``) — a supervisor scores their own group only."""

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Staff, Team
from staff.selectors import scope_for
from staff.services import staff_update
from tickets.models import Notification
from tickets.services.notifications import notify
from training.models import (
    Certificate,
    Course,
    Enrolment,
    GradeScale,
    RetrainingFlag,
    TrainingPlan,
    TrainingSession,
)

Role = Staff.Role
Grade = Enrolment.Grade
MANAGING_ROLES = (Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.HR)
#: who keeps the course catalogue and the departments' annual plans
CATALOGUE_ROLES = (Role.DIRECTOR, Role.MANAGER, Role.HR)
#: assessment part → the grade scale's weight field
PARTS = {
    "classroom": "weight_classroom",
    "homework": "weight_homework",
    "case_analysis": "weight_case",
    "drill": "weight_drill",
    "exam": "weight_exam",
}
LEFT = Staff.Status.LEFT


def grade_scale() -> GradeScale:
    scale = GradeScale.objects.filter(is_default=True).first()
    if scale is None:
        raise ValidationError(_("No default grade scale is set up."))
    return scale


def grade_for(result: Decimal, scale: GradeScale) -> str:
    """不合格 below ``pass_from``, 合格 from it, 良好 from ``good_from``, 优秀 from
    ``excellent_from`` (each boundary belongs to the higher grade)."""
    if result >= scale.excellent_from:
        return Grade.EXCELLENT
    if result >= scale.good_from:
        return Grade.GOOD
    if result >= scale.pass_from:
        return Grade.PASS
    return Grade.FAIL


def result_for(scores: dict[str, Decimal | None], scale: GradeScale) -> Decimal | None:
    """The weighted result of the parts that were assessed (weights of the missing parts are
    shared out among the others), to one decimal; None if nothing was assessed."""
    weighted = [
        (scores[part], getattr(scale, weight))
        for part, weight in PARTS.items()
        if scores.get(part) is not None and getattr(scale, weight)
    ]
    total = sum(weight for _score, weight in weighted)
    if not total:
        return None
    value = sum(Decimal(score) * weight for score, weight in weighted) / total
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def may_manage(actor: Staff, staff: Staff) -> bool:
    if actor.role not in MANAGING_ROLES:
        return False
    return Staff.objects.filter(scope_for(actor.user).q(), pk=staff.pk).exists()


def _ensure_may_manage(actor: Staff | None, people: Iterable[Staff]) -> None:
    if actor is None:  # the system (quarterly refresher, imports run by an admin command)
        return
    if actor.role not in MANAGING_ROLES:
        raise PermissionDenied(_("Only leads and HR manage training."))
    ids = {person.pk for person in people}
    seen = set(
        Staff.objects.filter(scope_for(actor.user).q(), pk__in=ids).values_list("pk", flat=True)
    )
    if outside := ids - seen:
        names = Staff.objects.filter(pk__in=outside).values_list("name", flat=True)
        raise PermissionDenied(
            _("You cannot manage the training of %(names)s.") % {"names": "、".join(names)}
        )


@transaction.atomic
def course_save(*, actor: Staff | None, course: Course) -> Course:
    """Add or change a catalogue course (the director, managers and HR)."""
    if actor is not None and actor.role not in CATALOGUE_ROLES:
        raise PermissionDenied(_("Only the director, managers and HR keep the catalogue."))
    course.full_clean()
    course.save()
    return course


@transaction.atomic
def plan_save(*, actor: Staff | None, plan: TrainingPlan) -> TrainingPlan:
    """Add or change a department's annual plan: the director, HR, or a manager of that
    department."""
    if actor is not None:
        if actor.role not in CATALOGUE_ROLES:
            raise PermissionDenied(_("Only the director, managers and HR keep training plans."))
        departments = Team.objects.filter(scope_for(actor.user).teams_q())
        if not departments.filter(pk=plan.department_id).exists():
            raise PermissionDenied(
                _("The plan of %(department)s is not yours to change.")
                % {"department": plan.department}
            )
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def session_create(
    *,
    actor: Staff | None,
    course: Course,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    title: str = "",
    kind: str = TrainingSession.Kind.LECTURE,
    trainer: Staff | None = None,
    external_trainer: str = "",
    place: str = "",
    is_online: bool = False,
    capacity: int | None = None,
    plan=None,
    quarter_key: str = "",
) -> TrainingSession:
    if actor is not None and actor.role not in MANAGING_ROLES:
        raise PermissionDenied(_("Only leads and HR manage training."))
    session = TrainingSession(
        course=course,
        title=(title or "").strip() or course.name,
        kind=kind,
        trainer=trainer,
        external_trainer=external_trainer,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        is_online=is_online,
        capacity=capacity,
        plan=plan,
        quarter_key=quarter_key,
    )
    session.full_clean(validate_constraints=False)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A session ends after it starts.")})
    session.save()
    return session


SESSION_EDITABLE = frozenset(
    {
        "course", "plan", "title", "kind", "trainer", "external_trainer", "starts_at", "ends_at",
        "place", "is_online", "capacity", "status", "cost",
    }
)  # fmt: skip


@transaction.atomic
def session_update(*, actor: Staff | None, session: TrainingSession, **changes) -> TrainingSession:
    """Change a session's details or status. Cancelling it tells the people enrolled; a
    capacity below those already enrolled is refused, and so is marking it held before it
    starts or while attendance is missing."""
    if unknown := set(changes) - SESSION_EDITABLE:
        raise TypeError(f"session_update cannot change {sorted(unknown)}")
    if actor is not None and actor.role not in MANAGING_ROLES:
        raise PermissionDenied(_("Only leads and HR manage training."))
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    was = session.status
    for field, value in changes.items():
        setattr(session, field, value)
    if session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": _("A session ends after it starts.")})
    if session.status != was:
        _ensure_may_run(actor, session)
        _status_change_check(session)
    enrolled = session.enrolments.count()
    if session.capacity is not None and session.capacity < enrolled:
        raise ValidationError(
            {"capacity": _("%(count)d people are already enrolled.") % {"count": enrolled}}
        )
    session.full_clean(validate_constraints=False)
    session.save()
    if was != session.status == TrainingSession.Status.CANCELLED:
        notify(
            recipients=session.enrolments.values_list("staff_id", flat=True),
            kind=Notification.Kind.TRAINING_REMINDER,
            text=_("Training %(title)s on %(start)s is cancelled.")
            % {
                "title": session.title,
                "start": f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}",
            },
        )
    return session


def may_run(actor: Staff, session: TrainingSession) -> bool:
    """Whether the actor may mark the session held or cancel it: the director, HR, its
    trainer, the leads of the department whose plan it belongs to, or a lead whose scope
    holds everyone enrolled, if anyone (a company-wide refresher is not one group's to
    cancel)."""
    if actor.role not in MANAGING_ROLES:
        return False
    scope = scope_for(actor.user)
    if scope.everyone or session.trainer_id == actor.pk:
        return True
    if session.plan_id is not None and (
        Team.objects.filter(scope.teams_q(), pk=session.plan.department_id).exists()
    ):
        return True
    return not session.enrolments.exclude(scope.q("staff")).exists()


def _ensure_may_run(actor: Staff | None, session: TrainingSession) -> None:
    if actor is not None and not may_run(actor, session):
        raise PermissionDenied(
            _("%(title)s is not yours to run: ask its trainer, its department or HR.")
            % {"title": session.title}
        )


def _status_change_check(session: TrainingSession) -> None:
    """Held: only once it has started and everyone's attendance is recorded. Cancelled: not
    once someone has been assessed in it (their results would drop out of every record)."""
    Status = TrainingSession.Status
    if session.status == Status.DONE:
        if session.starts_at > timezone.now():
            raise ValidationError({"status": _("The session has not started yet.")})
        unrecorded = session.enrolments.filter(attendance=Enrolment.Attendance.ENROLLED)
        if names := list(unrecorded.values_list("staff__name", flat=True)):
            raise ValidationError(
                {
                    "status": _("Record the attendance of %(names)s first.")
                    % {"names": "、".join(names)}
                }
            )
    elif session.status == Status.CANCELLED and session.enrolments.exclude(grade="").exists():
        raise ValidationError(
            {"status": _("People have been assessed in this session: it took place.")}
        )


@transaction.atomic
def enrolment_withdraw(*, actor: Staff | None, enrolment: Enrolment) -> None:
    """Take someone off a session before they are assessed (a retake or an assessed sitting
    stays on record)."""
    enrolment = _locked(enrolment)
    _ensure_may_manage(actor, [enrolment.staff])
    if enrolment.grade or enrolment.attempt == 2:
        raise ValidationError(_("An assessed sitting or a retake stays on record."))
    enrolment.delete()


def people_for(
    *,
    staff: Iterable[Staff] = (),
    team: Team | None = None,
    role: str | None = None,
) -> list[Staff]:
    """Who an enrolment "by person, team or role" means: the people named, everyone in the
    team (and the groups under a department), everyone with the role — never those who left."""
    condition = Q(pk__in=[person.pk for person in staff])
    if team is not None:
        condition |= Q(team__path__startswith=team.path)
    if role:
        condition |= Q(role=role)
    return list(Staff.objects.filter(condition).exclude(status=LEFT).order_by("employee_number"))


@transaction.atomic
def enrol(
    *, actor: Staff | None, session: TrainingSession, people: Iterable[Staff]
) -> list[Enrolment]:
    """Enrol people in a session (those already in it are left as they are). Refused whole
    when it would go over the session's capacity or includes someone outside the actor's
    scope. Returns the new enrolments."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.status != TrainingSession.Status.PLANNED:
        raise ValidationError(_("Only a planned session takes enrolments."))
    people = [person for person in people if person.status != LEFT]
    _ensure_may_manage(actor, people)
    already = set(session.enrolments.values_list("staff_id", flat=True))
    new = [person for person in people if person.pk not in already]
    if session.capacity is not None and len(already) + len(new) > session.capacity:
        raise ValidationError(
            _("The session has %(free)d free places; %(asked)d people were asked to join.")
            % {"free": max(session.capacity - len(already), 0), "asked": len(new)}
        )
    return Enrolment.objects.bulk_create(
        [Enrolment(session=session, staff=person) for person in new]
    )


def _locked(enrolment: Enrolment) -> Enrolment:
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("session__course", "staff__team__parent", "retake_of")
        .get(pk=enrolment.pk)
    )


@transaction.atomic
def attendance_record(*, actor: Staff | None, enrolment: Enrolment, attendance: str) -> Enrolment:
    enrolment = _locked(enrolment)
    _ensure_may_manage(actor, [enrolment.staff])
    if attendance not in Enrolment.Attendance.values:
        raise ValidationError({"attendance": _("Unknown attendance.")})
    enrolment.attendance = attendance
    enrolment.save(update_fields=["attendance"])
    return enrolment


@transaction.atomic
def feedback_record(
    *, staff: Staff, enrolment: Enrolment, score: int, comment: str = ""
) -> Enrolment:
    """The trainee's own rating of a session they attended."""
    enrolment = _locked(enrolment)
    if enrolment.staff_id != staff.pk:
        raise PermissionDenied(_("Only the trainee gives feedback on their session."))
    if enrolment.attendance not in (Enrolment.Attendance.PRESENT, Enrolment.Attendance.LATE):
        raise ValidationError(_("Feedback comes after attending the session."))
    if not 1 <= int(score) <= 5:
        raise ValidationError({"feedback_score": _("Rate from 1 to 5.")})
    enrolment.feedback_score, enrolment.feedback_comment = int(score), (comment or "").strip()
    enrolment.save(update_fields=["feedback_score", "feedback_comment"])
    return enrolment


def _score(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except ArithmeticError:
        raise ValidationError({field: _("A score is a number from 0 to 100.")}) from None
    if not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({field: _("A score is a number from 0 to 100.")})
    return score


@transaction.atomic
def assessment_record(
    *,
    actor: Staff | None,
    enrolment: Enrolment,
    scores: dict[str, object],
    at: datetime.datetime | None = None,
) -> Enrolment:
    """Record assessment scores (any of ``PARTS`` and ``pre_score``), work out the result
    and grade on the default scale, and act on it: a pass gives the certificate and puts a
    new hire who passed onboarding on post; a failed retake flags the person for retraining
    or reassignment, for their supervisor and manager."""
    enrolment = _locked(enrolment)
    _ensure_may_manage(actor, [enrolment.staff])
    if unknown := set(scores) - set(PARTS) - {"pre_score"}:
        raise TypeError(f"unknown assessment parts {sorted(unknown)}")
    if enrolment.attendance in (Enrolment.Attendance.ABSENT, Enrolment.Attendance.EXCUSED):
        raise ValidationError(_("Someone who did not attend cannot be assessed."))
    for part, value in scores.items():
        setattr(enrolment, part, _score(value, part))
    scale = grade_scale()
    enrolment.result = result_for({part: getattr(enrolment, part) for part in PARTS}, scale)
    enrolment.grade = grade_for(enrolment.result, scale) if enrolment.result is not None else ""
    enrolment.assessed_at = at or timezone.now()
    enrolment.assessed_by = actor
    if enrolment.attendance == Enrolment.Attendance.ENROLLED:
        enrolment.attendance = Enrolment.Attendance.PRESENT
    enrolment.save()
    if enrolment.passed:
        _passed(enrolment)
    elif enrolment.grade == Grade.FAIL and enrolment.attempt == 2:
        _retake_failed(enrolment)
    return enrolment


def _passed(enrolment: Enrolment) -> None:
    course, staff = enrolment.session.course, enrolment.staff
    if course.certificate_months:
        issued = timezone.localdate(enrolment.assessed_at)
        Certificate.objects.update_or_create(
            enrolment=enrolment,
            defaults={
                "staff": staff,
                "course": course,
                "issued_on": issued,
                "expires_on": issued + relativedelta(months=course.certificate_months),
            },
        )
    if course.purpose == Course.Purpose.ONBOARDING and not (
        staff.onboarding_passed and staff.status == Staff.Status.ON_POST
    ):
        changes = {"onboarding_passed": True}
        if staff.status == Staff.Status.PROBATION:
            changes["status"] = Staff.Status.ON_POST
        staff_update(actor=None, staff=staff, **changes)


def _retake_failed(enrolment: Enrolment) -> None:
    _flag, created = RetrainingFlag.objects.get_or_create(
        enrolment=enrolment,
        defaults={"staff": enrolment.staff, "course": enrolment.session.course},
    )
    if not created:
        return
    team = enrolment.staff.team
    leads = {team.leader_id if team else None}
    if team is not None and team.parent_id:
        leads.add(team.parent.leader_id)
    notify(
        recipients=leads,
        kind=Notification.Kind.RETRAINING,
        text=_("%(name)s failed the retake of %(course)s: retrain or reassign.")
        % {"name": enrolment.staff.name, "course": enrolment.session.course.name},
    )


@transaction.atomic
def retake_enrol(
    *, actor: Staff | None, enrolment: Enrolment, session: TrainingSession
) -> Enrolment:
    """The one retake of a failed assessment, in a later session of the same course."""
    enrolment = _locked(enrolment)
    _ensure_may_manage(actor, [enrolment.staff])
    if enrolment.grade != Grade.FAIL:
        raise ValidationError(_("Only a failed assessment is retaken."))
    if enrolment.attempt != 1 or hasattr(enrolment, "retake"):
        raise ValidationError(_("There is one retake only."))
    if session.course_id != enrolment.session.course_id or session.pk == enrolment.session_id:
        raise ValidationError(_("The retake is a later session of the same course."))
    if session.enrolments.filter(staff=enrolment.staff).exists():
        raise ValidationError(
            _("%(name)s is already in that session.") % {"name": enrolment.staff.name}
        )
    if session.capacity is not None and session.enrolments.count() >= session.capacity:
        raise ValidationError(_("The session is full."))
    return Enrolment.objects.create(
        session=session, staff=enrolment.staff, attempt=2, retake_of=enrolment
    )


@transaction.atomic
def retraining_decide(
    *, actor: Staff, flag: RetrainingFlag, outcome: str, note: str = ""
) -> RetrainingFlag:
    flag = RetrainingFlag.objects.select_for_update().select_related("staff").get(pk=flag.pk)
    _ensure_may_manage(actor, [flag.staff])
    if outcome not in (RetrainingFlag.Outcome.RETRAIN, RetrainingFlag.Outcome.REASSIGN):
        raise ValidationError({"outcome": _("Choose retrain or reassign.")})
    flag.outcome, flag.note = outcome, (note or "").strip()
    flag.decided_at, flag.decided_by = timezone.now(), actor
    flag.save()
    return flag
