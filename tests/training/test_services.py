"""Grading, retakes, onboarding that gates the queue, scope, certificates and the figures the
performance reviews read."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from staff.models import Staff
from tests.staff.factories import StaffFactory
from tests.tickets.factories import TicketFactory
from tickets import services as tickets
from tickets.models import Notification
from training import selectors, services
from training.models import Certificate, Enrolment, GradeScale, RetrainingFlag, TrainingSession

Grade = Enrolment.Grade


@pytest.fixture(autouse=True)
def _english():
    """Service messages in English, so the tests read the same whatever the catalogue says."""
    with translation.override("en"):
        yield


@pytest.fixture
def new_hire(org):
    return StaffFactory(
        name="新人小周",
        team=org.presales1,
        status=Staff.Status.PROBATION,
        onboarding_passed=False,
    )


@pytest.mark.parametrize(
    ("result", "grade"),
    [
        ("0", Grade.FAIL),
        ("59.9", Grade.FAIL),
        ("60", Grade.PASS),
        ("74.9", Grade.PASS),
        ("75", Grade.GOOD),
        ("89.9", Grade.GOOD),
        ("90", Grade.EXCELLENT),
        ("100", Grade.EXCELLENT),
    ],
)
def test_grades_at_the_boundaries(db, result, grade):
    assert services.grade_for(Decimal(result), services.grade_scale()) == grade


def test_thresholds_are_configurable(db):
    scale = services.grade_scale()
    scale.pass_from, scale.good_from, scale.excellent_from = 70, 80, 95
    scale.save()

    assert services.grade_for(Decimal("69.9"), scale) == Grade.FAIL
    assert services.grade_for(Decimal(70), scale) == Grade.PASS
    assert services.grade_for(Decimal("94.9"), scale) == Grade.GOOD


def test_the_result_weighs_the_parts_given(db):
    scale = services.grade_scale()
    every = {"classroom": 80, "homework": 70, "case_analysis": 90, "drill": 60, "exam": 50}

    assert services.result_for(every, scale) == Decimal("65.0")  # 8+7+18+12+20
    assert services.result_for({"exam": 85}, scale) == Decimal("85.0")
    assert services.result_for({"drill": 80, "exam": 50}, scale) == Decimal("60.0")
    assert services.result_for({}, scale) is None


def test_a_new_hire_cannot_claim_until_onboarding_is_passed(org, new_hire, courses, make_session):
    ticket = TicketFactory(team=org.presales1)
    with pytest.raises(PermissionDenied, match="onboarding"):
        tickets.ticket_claim(actor=new_hire, ticket=ticket)
    session = make_session(courses["新员工入职培训"], days=-6)
    (enrolment,) = services.enrol(actor=org.supervisor, session=session, people=[new_hire])

    services.assessment_record(actor=org.supervisor, enrolment=enrolment, scores={"exam": 85})

    new_hire.refresh_from_db()
    assert (new_hire.status, new_hire.onboarding_passed) == (Staff.Status.ON_POST, True)
    tickets.ticket_claim(actor=new_hire, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == new_hire
    assert selectors.onboarding_progress(org.supervisor.user) == []


def test_failing_onboarding_keeps_probation_then_one_retake_then_a_flag(
    org, new_hire, courses, make_session
):
    course = courses["新员工入职培训"]
    first, later, third = (make_session(course, days=d) for d in (-6, 1, 2))
    (enrolment,) = services.enrol(actor=org.supervisor, session=first, people=[new_hire])

    failed = services.assessment_record(
        actor=org.supervisor, enrolment=enrolment, scores={"exam": 59.9}
    )
    progress = selectors.onboarding_progress(org.supervisor.user)
    retake = services.retake_enrol(actor=org.supervisor, enrolment=failed, session=later)
    with pytest.raises(ValidationError, match="one retake"):
        services.retake_enrol(actor=org.supervisor, enrolment=failed, session=third)
    services.assessment_record(actor=org.supervisor, enrolment=retake, scores={"exam": 40})

    new_hire.refresh_from_db()
    assert failed.grade == Grade.FAIL
    assert [row["can_retake"] for row in progress] == [True]
    assert (retake.attempt, retake.retake_of) == (2, failed)
    assert new_hire.status == Staff.Status.PROBATION
    flag = RetrainingFlag.objects.get()
    assert (flag.staff, flag.course, flag.outcome) == (new_hire, course, "open")
    told = set(Notification.objects.filter(kind="retraining").values_list("recipient", flat=True))
    assert told == {org.supervisor.pk, org.manager.pk}
    assert list(selectors.open_retraining_flags(org.manager.user)) == [flag]
    assert list(selectors.open_retraining_flags(org.supervisor2.user)) == []
    services.retraining_decide(actor=org.supervisor, flag=flag, outcome="reassign", note="转岗")
    assert not selectors.open_retraining_flags(org.supervisor.user).exists()


def test_passing_the_retake_needs_no_flag(org, new_hire, courses, make_session):
    course = courses["新员工入职培训"]
    first, later = make_session(course, days=-6), make_session(course, days=1)
    (enrolment,) = services.enrol(actor=None, session=first, people=[new_hire])
    failed = services.assessment_record(actor=None, enrolment=enrolment, scores={"exam": 50})
    retake = services.retake_enrol(actor=None, enrolment=failed, session=later)

    services.assessment_record(actor=None, enrolment=retake, scores={"exam": 75})

    assert not RetrainingFlag.objects.exists()
    new_hire.refresh_from_db()
    assert new_hire.status == Staff.Status.ON_POST


def test_a_supervisor_cannot_enrol_or_score_another_group(org, courses, make_session):
    session = make_session(courses["产品知识"])
    (theirs,) = services.enrol(actor=None, session=session, people=[org.agent_p2])

    with pytest.raises(PermissionDenied, match="郑六"):
        services.enrol(actor=org.supervisor, session=session, people=[org.agent_b])
    with pytest.raises(PermissionDenied):
        services.assessment_record(actor=org.supervisor, enrolment=theirs, scores={"exam": 90})
    with pytest.raises(PermissionDenied):
        services.assessment_record(actor=org.agent, enrolment=theirs, scores={"exam": 90})
    services.assessment_record(actor=org.supervisor2, enrolment=theirs, scores={"exam": 90})
    theirs.refresh_from_db()
    assert theirs.grade == Grade.EXCELLENT


def test_enrolment_by_team_and_role_respects_capacity_and_skips_leavers(org, courses, make_session):
    gone = StaffFactory(name="已离职", team=org.presales1)
    Staff.objects.filter(pk=gone.pk).update(status=Staff.Status.LEFT, left_on=timezone.localdate())
    session = make_session(courses["服务技巧与沟通"], capacity=3)

    people = services.people_for(team=org.presales1)
    with pytest.raises(ValidationError, match="3 free places"):
        services.enrol(actor=org.manager, session=session, people=[*people, org.agent_p2])
    added = services.enrol(actor=org.manager, session=session, people=people)
    again = services.enrol(actor=org.manager, session=session, people=people)

    assert {e.staff.name for e in added} == {"李主管", "张三", "李四"}
    assert again == []
    assert {p.name for p in services.people_for(role=Staff.Role.QA_INSPECTOR)} == {"陈质检"}


def test_scores_outside_0_100_and_absent_trainees_are_refused(org, courses, make_session):
    session = make_session(courses["产品知识"], days=-1)
    enrolment, absent = services.enrol(actor=None, session=session, people=[org.agent, org.agent2])
    services.attendance_record(actor=org.supervisor, enrolment=absent, attendance="absent")

    with pytest.raises(ValidationError):
        services.assessment_record(actor=org.supervisor, enrolment=enrolment, scores={"exam": 101})
    with pytest.raises(ValidationError):
        services.assessment_record(actor=org.supervisor, enrolment=enrolment, scores={"exam": "x"})
    with pytest.raises(ValidationError, match="did not attend"):
        services.assessment_record(actor=org.supervisor, enrolment=absent, scores={"exam": 80})
    enrolment.refresh_from_db()
    assert enrolment.exam is None
    assert enrolment.grade == ""


def test_passing_a_certified_course_gives_a_certificate(org, courses, make_session):
    session = make_session(courses["信息安全与合规"], days=-1)
    (enrolment,) = services.enrol(actor=None, session=session, people=[org.agent])

    services.assessment_record(actor=org.supervisor, enrolment=enrolment, scores={"exam": 80})

    certificate = Certificate.objects.get()
    assert certificate.staff == org.agent
    assert certificate.expires_on.year == certificate.issued_on.year + 1


def test_feedback_only_from_the_trainee_after_attending(org, courses, make_session):
    session = make_session(courses["团队协作"], days=-1)
    (enrolment,) = services.enrol(actor=None, session=session, people=[org.agent])

    with pytest.raises(ValidationError):
        services.feedback_record(staff=org.agent, enrolment=enrolment, score=5)
    services.attendance_record(actor=org.supervisor, enrolment=enrolment, attendance="late")
    with pytest.raises(PermissionDenied):
        services.feedback_record(staff=org.agent2, enrolment=enrolment, score=5)
    services.feedback_record(staff=org.agent, enrolment=enrolment, score=4, comment="案例很实用")

    enrolment.refresh_from_db()
    assert (enrolment.feedback_score, enrolment.feedback_comment) == (4, "案例很实用")


def test_effectiveness_of_a_session_and_its_course(org, courses, make_session):
    session = make_session(courses["产品知识"], days=-1)
    a, b, c, d = services.enrol(
        actor=None, session=session, people=[org.agent, org.agent2, org.agent_p2, org.agent_b]
    )
    services.assessment_record(actor=None, enrolment=a, scores={"pre_score": 50, "exam": 80})
    services.assessment_record(actor=None, enrolment=b, scores={"pre_score": 60, "exam": 50})
    services.attendance_record(actor=None, enrolment=c, attendance="absent")
    services.attendance_record(actor=None, enrolment=d, attendance="excused")
    services.feedback_record(staff=org.agent, enrolment=a, score=5)
    services.feedback_record(staff=org.agent2, enrolment=b, score=2)

    figures = selectors.session_effectiveness(session)

    assert (figures.enrolled, figures.attended) == (4, 2)
    assert figures.attendance_rate == Decimal("66.7")  # excused not counted
    assert (figures.pre_average, figures.post_average, figures.delta) == (
        Decimal("55.0"),
        Decimal("65.0"),
        Decimal("10.0"),
    )
    assert figures.pass_rate == Decimal("50.0")
    assert figures.feedback_average == Decimal("3.5")
    assert selectors.course_effectiveness(courses["产品知识"]) == figures


def test_skills_figures_for_the_performance_review(org, courses, make_session):
    session = make_session(courses["产品知识"], days=-1)
    a, b = services.enrol(actor=None, session=session, people=[org.agent, org.agent2])
    services.assessment_record(actor=None, enrolment=a, scores={"exam": 92})
    services.attendance_record(actor=None, enrolment=b, attendance="absent")
    today = timezone.localdate()

    figures = selectors.training_skills(
        [org.agent.pk, org.agent2.pk, org.agent_b.pk],
        today - datetime.timedelta(days=30),
        today + datetime.timedelta(days=1),
    )

    assert figures[org.agent.pk].average_result == Decimal("92.0")
    assert figures[org.agent.pk].excellent == 1
    assert figures[org.agent2.pk].attendance_rate == Decimal("0.0")
    assert org.agent_b.pk not in figures


def test_the_seeded_scale_and_catalogue(db, courses):
    scale = GradeScale.objects.get(is_default=True)
    assert (scale.pass_from, scale.good_from, scale.excellent_from) == (60, 75, 90)
    assert courses["新员工入职培训"].purpose == "onboarding"
    assert courses["新员工入职培训"].duration_hours == 40
    assert courses["季度全员复训"].purpose == "refresher"
    assert {course.category for course in courses.values()} >= {
        "product", "service_skills", "etiquette", "teamwork", "compliance", "sales",
    }  # fmt: skip


def test_updating_and_cancelling_a_session_tells_the_trainees(org, courses, make_session):
    session = make_session(courses["产品知识"], capacity=5)
    first, second = services.enrol(actor=None, session=session, people=[org.agent, org.agent2])

    with pytest.raises(ValidationError, match="already enrolled"):
        services.session_update(actor=org.supervisor, session=session, capacity=1)
    with pytest.raises(PermissionDenied):
        services.session_update(actor=org.agent, session=session, place="线上")
    services.enrolment_withdraw(actor=org.supervisor, enrolment=second)
    services.session_update(actor=org.manager, session=session, status="cancelled")

    assert list(session.enrolments.values_list("staff", flat=True)) == [org.agent.pk]
    told = Notification.objects.filter(kind="training_reminder")
    assert list(told.values_list("recipient", flat=True)) == [org.agent.pk]
    assert "cancelled" in told.get().text
    first.refresh_from_db()
    services.attendance_record(actor=None, enrolment=first, attendance="present")
    services.assessment_record(actor=None, enrolment=first, scores={"exam": 70})
    with pytest.raises(ValidationError, match="stays on record"):
        services.enrolment_withdraw(actor=org.supervisor, enrolment=first)


def test_a_session_is_marked_held_once_started_and_every_attendance_is_recorded(
    org, courses, make_session
):
    later = make_session(courses["产品知识"], days=1)
    session = make_session(courses["产品知识"], days=-0.1)
    present, unrecorded = services.enrol(
        actor=None, session=session, people=[org.agent, org.agent2]
    )
    services.attendance_record(actor=None, enrolment=present, attendance="present")

    with pytest.raises(ValidationError, match="has not started yet"):
        services.session_update(actor=org.supervisor, session=later, status="done")
    with pytest.raises(ValidationError, match="Record the attendance of 李四 first"):
        services.session_update(actor=org.supervisor, session=session, status="done")
    services.attendance_record(actor=None, enrolment=unrecorded, attendance="excused")
    held = services.session_update(actor=org.supervisor, session=session, status="done")

    assert held.status == "done"
    later.refresh_from_db()
    assert later.status == "planned"


def test_a_session_where_people_were_assessed_cannot_be_cancelled(org, courses, make_session):
    session = make_session(courses["产品知识"], days=-1)
    (enrolment,) = services.enrol(actor=None, session=session, people=[org.agent])
    services.assessment_record(actor=None, enrolment=enrolment, scores={"exam": 80})

    with pytest.raises(ValidationError, match="it took place"):
        services.session_update(actor=org.manager, session=session, status="cancelled")

    session.refresh_from_db()
    assert session.status == "planned"
    assert not Notification.objects.filter(kind="training_reminder").exists()


def test_a_session_is_held_or_cancelled_only_by_those_running_it(org, courses, make_session):
    trainer = org.supervisor_b
    shared = make_session(courses["产品知识"], trainer=trainer)
    services.enrol(actor=None, session=shared, people=[org.agent, org.agent_p2])
    own = make_session(courses["产品知识"])
    services.enrol(actor=None, session=own, people=[org.agent])

    # 李主管 leads 售前一组 only: 钱五 of 售前二组 is in the shared session too
    assert [services.may_run(who, shared) for who in (org.supervisor, org.supervisor2)] == [
        False,
        False,
    ]
    assert [services.may_run(who, shared) for who in (trainer, org.manager, org.hr)] == [
        True,
        True,
        True,
    ]
    assert services.may_run(org.supervisor, own)
    assert services.may_run(org.supervisor2, make_session(courses["产品知识"]))
    assert not services.may_run(org.agent, own)
    with pytest.raises(PermissionDenied, match="not yours to run"):
        services.session_update(actor=org.supervisor, session=shared, status="cancelled")
    services.session_update(actor=trainer, session=shared, status="cancelled")
    services.session_update(actor=org.supervisor, session=own, status="cancelled")

    cancelled = TrainingSession.objects.filter(status="cancelled")
    assert set(cancelled.values_list("pk", flat=True)) == {shared.pk, own.pk}
