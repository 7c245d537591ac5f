"""Demo training (part of ``seed_demo``): a year of sessions of every course with
attendance, scores, feedback and certificates, this week's onboarding for the new hires
(exam still to come), and sessions coming up — all through the training services, so the
grades and what follows from them are the real ones."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from staff.models import Staff, Team
from training import services
from training.models import Course, Enrolment, TrainingPlan, TrainingSession

Kind = TrainingSession.Kind
Attendance = Enrolment.Attendance
#: course → (kind, trainer's employee number or an external trainer, sessions in the year)
SCHEDULE = {
    "产品知识": (Kind.LECTURE, "CS0101", 4),
    "服务技巧与沟通": (Kind.DRILL, "CS0102", 3),
    "服务礼仪与态度": (Kind.LECTURE, "CS0201", 2),
    "团队协作": (Kind.CONTEST, "CS0202", 2),
    "信息安全与合规": (Kind.EXTERNAL, "星海信息安全培训中心 刘老师", 2),
    "销售技巧": (Kind.SHADOWING, "CS0103", 2),
}


def demo_training_exists() -> bool:
    return TrainingSession.objects.exists()


@transaction.atomic
def demo_training_load(*, seed: int = 2026, now: datetime.datetime | None = None) -> int:
    """Load the demo training once; returns how many sessions it added (0 if any exist)."""
    if demo_training_exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    now = now or timezone.now()
    people = list(Staff.objects.exclude(status=Staff.Status.LEFT).select_related("team"))
    if not people:
        return 0
    agents = [p for p in people if p.role in (Staff.Role.SPECIALIST, Staff.Role.SUPERVISOR)]
    veterans = [p for p in agents if p.status == Staff.Status.ON_POST]
    new_hires = [p for p in agents if p.status == Staff.Status.PROBATION]
    by_number = {p.employee_number: p for p in people}
    courses = {course.name: course for course in Course.objects.all()}
    plans = _plans(now)
    made = _required_for_everyone(courses, people, now, rng)
    for name, (kind, trainer, count) in SCHEDULE.items():
        course = courses.get(name)
        if course is None:
            continue
        for index in range(count):
            days_ago = rng.randint(20, 330) if index else rng.randint(5, 40)
            start = _working_hour(now - datetime.timedelta(days=days_ago), rng)
            session = services.session_create(
                actor=None,
                course=course,
                title=f"{name}（第{index + 1}期）",
                kind=kind,
                trainer=by_number.get(trainer),
                external_trainer="" if trainer in by_number else trainer,
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=float(course.duration_hours)),
                place="培训室 A" if rng.random() < 0.7 else "",
                is_online=rng.random() < 0.3,
                plan=rng.choice(plans) if plans else None,
            )
            trainees = rng.sample(veterans, k=min(len(veterans), rng.randint(8, 16)))
            for enrolment in services.enrol(actor=None, session=session, people=trainees):
                _assess(enrolment, rng)
            TrainingSession.objects.filter(pk=session.pk).update(
                status=TrainingSession.Status.DONE, cost=rng.choice([0, 0, 800, 1500, 3000])
            )
            made += 1
    made += _onboarding(courses, new_hires, now)
    made += _coming_up(courses, veterans, now, rng)
    return made


def _required_for_everyone(
    courses: dict, people: list[Staff], now: datetime.datetime, rng: random.Random
) -> int:
    """One sitting of each required course for everyone already on post (five months ago,
    so certificates are valid), so the overdue alerts name only the few who failed."""
    made = 0
    for course in courses.values():
        if not course.required_for_roles or course.purpose != Course.Purpose.REGULAR:
            continue
        start = _working_hour(now - datetime.timedelta(days=150 + made * 7), rng)
        session = services.session_create(
            actor=None,
            course=course,
            title=f"{course.name}（全员必修）",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=float(course.duration_hours)),
            place="多功能厅",
        )
        trainees = [
            p
            for p in people
            if p.role in course.required_for_roles and p.status == Staff.Status.ON_POST
        ]
        for enrolment in services.enrol(actor=None, session=session, people=trainees):
            services.assessment_record(
                actor=None,
                enrolment=enrolment,
                scores={"exam": max(40, min(100, round(rng.gauss(84, 8))))},
            )
        TrainingSession.objects.filter(pk=session.pk).update(status=TrainingSession.Status.DONE)
        made += 1
    return made


def _plans(now: datetime.datetime) -> list[TrainingPlan]:
    plans = []
    for department in Team.objects.filter(kind=Team.Kind.DEPARTMENT).select_related("leader"):
        if department.leader is None:
            continue
        plan = TrainingPlan.objects.create(
            department=department,
            year=timezone.localdate(now).year,
            title=f"{department.name}年度培训计划",
            goal="提升首次响应与一次解决率，新员工一周内通过入职考核，全员每季度复训一次。",
            content="产品知识、服务技巧、服务礼仪、团队协作、信息安全与合规、销售技巧。",
            owner=department.leader,
            budget=20000,
            planned_sessions=[4, 4, 4, 4],
        )
        plans.append(plan)
    return plans


def _working_hour(moment: datetime.datetime, rng: random.Random) -> datetime.datetime:
    local = timezone.localtime(moment)
    while local.weekday() >= 5:
        local -= datetime.timedelta(days=1)
    return local.replace(hour=rng.choice([9, 14]), minute=0, second=0, microsecond=0)


def _assess(enrolment: Enrolment, rng: random.Random) -> None:
    roll = rng.random()
    if roll < 0.05:
        services.attendance_record(actor=None, enrolment=enrolment, attendance=Attendance.ABSENT)
        return
    if roll < 0.1:
        services.attendance_record(actor=None, enrolment=enrolment, attendance=Attendance.EXCUSED)
        return
    if roll < 0.2:
        services.attendance_record(actor=None, enrolment=enrolment, attendance=Attendance.LATE)
    skill = rng.gauss(80, 9)

    def score() -> int:
        return max(30, min(100, round(rng.gauss(skill, 6))))

    services.assessment_record(
        actor=None,
        enrolment=enrolment,
        scores={
            "pre_score": max(20, min(100, round(skill - rng.uniform(5, 20)))),
            "classroom": score(),
            "homework": score(),
            "case_analysis": score(),
            "drill": score(),
            "exam": score(),
        },
    )
    if rng.random() < 0.6:
        services.feedback_record(
            staff=enrolment.staff,
            enrolment=enrolment,
            score=rng.choices([5, 4, 3, 2], weights=[45, 40, 12, 3])[0],
            comment=rng.choice(["", "", "案例很实用", "希望多一些实操", "讲师讲得很清楚"]),
        )


def _onboarding(courses: dict, new_hires: list[Staff], now: datetime.datetime) -> int:
    course = courses.get("新员工入职培训")
    if course is None or not new_hires:
        return 0
    monday = timezone.localtime(now) - datetime.timedelta(days=timezone.localtime(now).weekday())
    start = monday.replace(hour=9, minute=0, second=0, microsecond=0)
    session = services.session_create(
        actor=None,
        course=course,
        title=f"新员工入职培训（{start:%m月%d日}期）",
        kind=Kind.LECTURE,
        starts_at=start,
        ends_at=start + datetime.timedelta(days=4, hours=9),
        place="培训室 B",
        capacity=20,
    )
    for enrolment in services.enrol(actor=None, session=session, people=new_hires):
        services.attendance_record(actor=None, enrolment=enrolment, attendance=Attendance.PRESENT)
    return 1


def _coming_up(courses: dict, veterans: list[Staff], now, rng: random.Random) -> int:
    made = 0
    for name, days in (("产品知识", 3), ("服务技巧与沟通", 9)):
        course = courses.get(name)
        if course is None:
            continue
        start = _working_hour(now + datetime.timedelta(days=days + 2), rng)
        session = services.session_create(
            actor=None,
            course=course,
            title=f"{name}（新品专场）",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=3),
            place="培训室 A",
            capacity=30,
        )
        services.enrol(
            actor=None, session=session, people=rng.sample(veterans, k=min(12, len(veterans)))
        )
        made += 1
    return made
