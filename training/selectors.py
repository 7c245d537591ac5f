"""Reads of training that more than one caller needs: a person's record, onboarding progress,
session and course effectiveness, plan against actual, and the skills figures that the
performance reviews read."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from staff.models import Staff
from staff.selectors import scope_for
from training.models import (
    Certificate,
    Course,
    Enrolment,
    RetrainingFlag,
    TrainingPlan,
    TrainingSession,
)

Attendance = Enrolment.Attendance
Grade = Enrolment.Grade
ATTENDED = (Attendance.PRESENT, Attendance.LATE)
PASSED = (Grade.PASS, Grade.GOOD, Grade.EXCELLENT)


def _enrolment_rows() -> QuerySet[Enrolment]:
    return Enrolment.objects.select_related(
        "session__course", "session__trainer", "staff__team", "retake_of"
    ).prefetch_related("certificate")


def training_record(staff: Staff) -> QuerySet[Enrolment]:
    """A person's training archive: every session, newest first, with scores and grades."""
    return _enrolment_rows().filter(staff=staff).order_by("-session__starts_at")


def upcoming_for(staff: Staff, now: datetime.datetime | None = None) -> QuerySet[Enrolment]:
    now = now or timezone.now()
    return (
        _enrolment_rows()
        .filter(
            staff=staff,
            session__ends_at__gte=now,
            session__status=TrainingSession.Status.PLANNED,
        )
        .order_by("session__starts_at")
    )


def certificates_of(staff: Staff) -> QuerySet[Certificate]:
    return Certificate.objects.filter(staff=staff).select_related("course").order_by("-expires_on")


def staff_in_scope(user: AbstractBaseUser) -> QuerySet[Staff]:
    return Staff.objects.filter(scope_for(user).q()).exclude(status=Staff.Status.LEFT)


def onboarding_progress(user: AbstractBaseUser) -> list[dict]:
    """New hires in the user's scope who have not passed onboarding, with their onboarding
    sessions: attended so far, the latest result and grade, and whether a retake is open."""
    people = list(
        staff_in_scope(user)
        .filter(Q(onboarding_passed=False) | Q(status=Staff.Status.PROBATION))
        .select_related("team")
        .order_by("team__name", "employee_number")
    )
    enrolments = (
        _enrolment_rows()
        .filter(staff__in=people, session__course__purpose=Course.Purpose.ONBOARDING)
        .order_by("session__starts_at")
    )
    by_person: dict[int, list[Enrolment]] = {}
    for enrolment in enrolments:
        by_person.setdefault(enrolment.staff_id, []).append(enrolment)
    rows = []
    for person in people:
        mine = by_person.get(person.pk, [])
        latest = mine[-1] if mine else None
        rows.append(
            {
                "staff": person,
                "enrolments": mine,
                "latest": latest,
                "attended": sum(1 for e in mine if e.attendance in ATTENDED),
                "can_retake": bool(latest and latest.grade == Grade.FAIL and latest.attempt == 1),
            }
        )
    return rows


def sessions_for(user: AbstractBaseUser) -> QuerySet[TrainingSession]:
    """Sessions with someone in the user's scope enrolled, or taught by them, or not yet
    staffed (a lead fills them), with counts."""
    scope = scope_for(user)
    visible = Q(enrolments__staff__in=Staff.objects.filter(scope.q())) | Q(enrolments__isnull=True)
    if scope.staff_id is not None:
        visible |= Q(trainer_id=scope.staff_id)
    ids = TrainingSession.objects.filter(visible).values("pk")
    return (
        TrainingSession.objects.filter(pk__in=ids)
        .select_related("course", "trainer")
        .annotate(
            enrolled=Count("enrolments", distinct=True),
            attended=Count(
                "enrolments", filter=Q(enrolments__attendance__in=ATTENDED), distinct=True
            ),
        )
    )


@dataclass(frozen=True)
class Effectiveness:
    enrolled: int
    attended: int
    attendance_rate: Decimal | None
    pre_average: Decimal | None
    post_average: Decimal | None
    delta: Decimal | None
    pass_rate: Decimal | None
    feedback_average: Decimal | None
    feedback_count: int


def _measures() -> dict:
    """The aggregates an Effectiveness is made of, for ``aggregate`` or per group."""
    both = Q(pre_score__isnull=False, result__isnull=False)
    return {
        "enrolled": Count("pk"),
        "excused": Count("pk", filter=Q(attendance=Attendance.EXCUSED)),
        "attended": Count("pk", filter=Q(attendance__in=ATTENDED)),
        "assessed": Count("pk", filter=~Q(grade="")),
        "passed": Count("pk", filter=Q(grade__in=PASSED)),
        "pre": Avg("pre_score", filter=both),
        "post": Avg("result", filter=both),
        "feedback": Avg("feedback_score"),
        "feedback_count": Count("feedback_score"),
    }


#: the figures of nobody enrolled
NO_FIGURES = dict.fromkeys(_measures(), 0) | dict.fromkeys(("pre", "post", "feedback"))


def _effectiveness(figures: dict) -> Effectiveness:
    def ratio(part: int, whole: int) -> Decimal | None:
        return (Decimal(100) * part / whole).quantize(Decimal("0.1")) if whole else None

    def one(value) -> Decimal | None:
        return Decimal(value).quantize(Decimal("0.1")) if value is not None else None

    pre, post = one(figures["pre"]), one(figures["post"])
    return Effectiveness(
        enrolled=figures["enrolled"],
        attended=figures["attended"],
        attendance_rate=ratio(figures["attended"], figures["enrolled"] - figures["excused"]),
        pre_average=pre,
        post_average=post,
        delta=(post - pre) if pre is not None and post is not None else None,
        pass_rate=ratio(figures["passed"], figures["assessed"]),
        feedback_average=one(figures["feedback"]),
        feedback_count=figures["feedback_count"],
    )


def session_effectiveness(session: TrainingSession) -> Effectiveness:
    """Attendance rate (excused not counted), pre/post score delta over those with both,
    pass rate of those assessed, and the trainees' feedback average."""
    return _effectiveness(Enrolment.objects.filter(session=session).aggregate(**_measures()))


def course_effectiveness(course: Course) -> Effectiveness:
    return courses_effectiveness([course])[0][1]


def courses_effectiveness(courses: Iterable[Course]) -> list[tuple[Course, Effectiveness]]:
    """Each course with the figures over all its sessions: one query for them all."""
    courses = list(courses)
    rows = {
        row.pop("session__course"): row
        for row in Enrolment.objects.filter(session__course__in=courses)
        .values("session__course")
        .annotate(**_measures())
        .order_by()
    }
    return [(course, _effectiveness(rows.get(course.pk, NO_FIGURES))) for course in courses]


def plan_vs_actual(plan: TrainingPlan) -> list[dict]:
    return plans_vs_actual([plan])[0][1]


def plans_vs_actual(plans: Iterable[TrainingPlan]) -> list[tuple[TrainingPlan, list[dict]]]:
    """Each plan with, per quarter of its year: sessions planned, held (not cancelled and
    over) and their cost — one query for all the plans."""
    plans = list(plans)
    held = {
        (row["plan"], row["year"], row["quarter"]): row
        for row in TrainingSession.objects.filter(plan__in=plans, ends_at__lte=timezone.now())
        .exclude(status=TrainingSession.Status.CANCELLED)
        .annotate(year=ExtractYear("starts_at"), quarter=ExtractQuarter("starts_at"))
        .values("plan", "year", "quarter")
        .annotate(count=Count("pk"), cost=Sum("cost"))
        .order_by()
    }
    result = []
    for plan in plans:
        planned = [*(plan.planned_sessions or []), 0, 0, 0, 0]
        rows = []
        for quarter in range(1, 5):
            figures = held.get((plan.pk, plan.year, quarter), {})
            rows.append(
                {
                    "quarter": f"Q{quarter}",
                    "planned": int(planned[quarter - 1] or 0),
                    "held": figures.get("count", 0),
                    "cost": figures.get("cost") or Decimal(0),
                }
            )
        result.append((plan, rows))
    return result


def open_retraining_flags(user: AbstractBaseUser) -> QuerySet[RetrainingFlag]:
    return (
        RetrainingFlag.objects.filter(
            scope_for(user).q("staff"), outcome=RetrainingFlag.Outcome.OPEN
        )
        .select_related("staff__team", "course")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class SkillsFigures:
    """What the performance review's skills dimension reads for one person and period."""

    sessions: int
    attended: int
    attendance_rate: Decimal | None
    assessed: int
    average_result: Decimal | None
    passed: int
    failed: int
    excellent: int
    retraining_flags: int


def training_skills(
    staff_ids: list[int], start: datetime.date, end: datetime.date
) -> dict[int, SkillsFigures]:
    """Training results per person for sessions that started in [start, end): one
    aggregate query over everyone, for the monthly and annual reviews."""
    rows = (
        Enrolment.objects.filter(
            staff_id__in=staff_ids,
            session__starts_at__date__gte=start,
            session__starts_at__date__lt=end,
        )
        .exclude(session__status=TrainingSession.Status.CANCELLED)
        .values("staff_id")
        .annotate(
            sessions=Count("pk"),
            attended=Count("pk", filter=Q(attendance__in=ATTENDED)),
            excused=Count("pk", filter=Q(attendance=Attendance.EXCUSED)),
            assessed=Count("pk", filter=~Q(grade="")),
            average=Avg("result"),
            passed=Count("pk", filter=Q(grade__in=PASSED)),
            failed=Count("pk", filter=Q(grade=Grade.FAIL)),
            excellent=Count("pk", filter=Q(grade=Grade.EXCELLENT)),
            flags=Count("retraining_flag"),
        )
    )
    figures = {}
    for row in rows:
        counted = row["sessions"] - row["excused"]
        figures[row["staff_id"]] = SkillsFigures(
            sessions=row["sessions"],
            attended=row["attended"],
            attendance_rate=(Decimal(100) * row["attended"] / counted).quantize(Decimal("0.1"))
            if counted
            else None,
            assessed=row["assessed"],
            average_result=Decimal(row["average"]).quantize(Decimal("0.1"))
            if row["average"] is not None
            else None,
            passed=row["passed"],
            failed=row["failed"],
            excellent=row["excellent"],
            retraining_flags=row["flags"],
        )
    return figures
