"""Recurring training: the quarterly refresher (每季度一次全员培训) planned and everyone
enrolled — by a real Celery worker too —, reminders before a session, and alerts for overdue
required courses and expiring certificates, each once however often or concurrently run."""

import datetime
import threading
import time
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone, translation
from django_celery_beat.models import PeriodicTask

from staff.models import Staff
from staff.services import staff_offboard
from tests.concurrency import run_at_once
from tests.staff.factories import StaffFactory
from tickets.models import Notification, StatutoryDay
from training import recurring, services
from training.models import Certificate, Course, Enrolment, TrainingAlert, TrainingSession
from training.tasks import training_refresher_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
REFRESHER = "季度全员复训"
PRODUCT = "产品知识"  # required of specialists and supervisors within 30 days
SECURITY = "信息安全与合规"  # required of every role, with a 12-month certificate
Kind = Notification.Kind


@pytest.fixture(autouse=True)
def _english():
    """Messages in their English source text, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def refresher(db) -> Course:
    """The seeded refresher course (seeded again if a transactional test flushed it)."""
    if not Course.objects.exists():
        import_module("training.migrations.0002_seed_catalogue").seed(apps, None)
    return Course.objects.get(name=REFRESHER)


def not_left() -> set[int]:
    return set(Staff.objects.exclude(status=Staff.Status.LEFT).values_list("pk", flat=True))


def enrolled(session: TrainingSession) -> set[int]:
    return set(session.enrolments.values_list("staff_id", flat=True))


def notified(kind: str) -> list[tuple[str, str]]:
    """(recipient, text) of the notifications of a kind, sorted."""
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__name", "text"))


def offboard(person: Staff) -> None:
    staff_offboard(actor=None, staff=person, left_on=datetime.date(2026, 9, 1))


# ── The quarterly refresher ─────────────────────────────────────────────────────────────


def test_refresher_plans_one_session_on_the_15th_and_enrols_everyone_not_left(org, refresher):
    offboard(org.agent_b)

    first = recurring.refresher_plan(today=datetime.date(2026, 10, 1))
    second = recurring.refresher_plan(today=datetime.date(2026, 10, 2))

    session = TrainingSession.objects.get()
    assert (session.course, session.quarter_key, session.status) == (
        refresher,
        "2026-Q4",
        "planned",
    )
    assert session.starts_at == datetime.datetime(2026, 10, 15, 14, tzinfo=SHANGHAI)
    assert session.ends_at == datetime.datetime(2026, 10, 15, 17, tzinfo=SHANGHAI)
    assert session.title == "季度全员复训, 2026 Q4"
    assert first == {"sessions": 1, "enrolled": 11}
    assert second == {"sessions": 0, "enrolled": 0}
    assert enrolled(session) == not_left()
    assert org.agent_b.pk not in enrolled(session)
    assert Enrolment.objects.count() == 11


def test_a_newcomer_is_enrolled_on_the_next_run(org, refresher):
    recurring.refresher_plan(today=datetime.date(2026, 10, 1))
    newcomer = StaffFactory(name="新人", team=org.presales1, hire_date=datetime.date(2026, 10, 8))

    again = recurring.refresher_plan(today=datetime.date(2026, 10, 9))

    session = TrainingSession.objects.get()
    assert again == {"sessions": 0, "enrolled": 1}
    assert newcomer.pk in enrolled(session)
    assert enrolled(session) == not_left()


def test_next_quarter_gets_its_own_session(org, refresher):
    recurring.refresher_plan(today=datetime.date(2026, 10, 1))

    recurring.refresher_plan(today=datetime.date(2027, 1, 4))

    sessions = TrainingSession.objects.order_by("starts_at")
    assert [session.quarter_key for session in sessions] == ["2026-Q4", "2027-Q1"]
    assert [enrolled(session) == not_left() for session in sessions] == [True, True]


def test_a_past_session_takes_no_newcomers(org, refresher):
    recurring.refresher_plan(today=datetime.date(2026, 10, 1))
    StaffFactory(name="新人", hire_date=datetime.date(2026, 10, 20))

    later = recurring.refresher_plan(today=datetime.date(2026, 10, 21))

    assert later == {"sessions": 0, "enrolled": 0}
    assert Enrolment.objects.count() == 12


@pytest.mark.parametrize(
    ("today", "day"),
    [
        (datetime.date(2026, 10, 1), datetime.date(2026, 10, 15)),  # the 15th, a Thursday
        (datetime.date(2026, 10, 15), datetime.date(2026, 10, 16)),  # the day after today
        (datetime.date(2026, 11, 20), datetime.date(2026, 11, 23)),  # Friday → Monday
        (datetime.date(2026, 11, 13), datetime.date(2026, 11, 14)),  # a 调休 Saturday
        (datetime.date(2027, 1, 4), datetime.date(2027, 1, 18)),  # Friday 15th a holiday
    ],
)
def test_refresher_day_is_a_working_day_not_before_tomorrow(db, today, day):
    StatutoryDay.objects.update_or_create(
        date=datetime.date(2026, 11, 14), defaults={"kind": StatutoryDay.Kind.WORKDAY}
    )
    StatutoryDay.objects.update_or_create(
        date=datetime.date(2027, 1, 15), defaults={"kind": StatutoryDay.Kind.HOLIDAY}
    )

    assert recurring.refresher_day(recurring.Quarter.of(today), today) == day


def test_refresher_day_and_hour_follow_the_settings(org, refresher, settings):
    settings.TRAINING_REFRESHER_DAY = 20
    settings.TRAINING_REFRESHER_HOUR = 9

    recurring.refresher_plan(today=datetime.date(2026, 7, 1))

    session = TrainingSession.objects.get()
    assert session.starts_at == datetime.datetime(2026, 7, 20, 9, tzinfo=SHANGHAI)


def test_the_quarterly_schedules_are_in_beat(db):
    rows = PeriodicTask.objects.filter(task__startswith="training.").order_by("task")

    assert [
        (row.task, row.crontab.minute, row.crontab.hour, str(row.crontab.timezone), row.enabled)
        for row in rows
    ] == [
        ("training.alerts", "0", "7", "Asia/Shanghai", True),
        ("training.onboarding_enrol", "10", "6", "Asia/Shanghai", True),
        ("training.refresher_plan", "0", "6", "Asia/Shanghai", True),
        ("training.reminders", "0", "*", "Asia/Shanghai", True),
    ]


# ── Concurrency, and a real Celery worker ───────────────────────────────────────────────
# Threads with their own connections, committing for real: PostgreSQL is the proof (the
# unique index makes the second insert wait, then fail; skip_locked; the course lock),
# SQLite, which takes the write lock at BEGIN, must agree.


@pytest.mark.django_db(transaction=True)
def test_two_refresher_runs_at_once_make_one_session(org, refresher):
    today = datetime.date(2026, 10, 1)

    outcomes = run_at_once(*[lambda: recurring.refresher_plan(today=today)] * 2)

    assert sorted(outcome["sessions"] for outcome in outcomes) == [0, 1], outcomes
    assert sum(outcome["enrolled"] for outcome in outcomes) == 12
    session = TrainingSession.objects.get()
    assert enrolled(session) == not_left()


@pytest.mark.django_db(transaction=True)
def test_a_run_meeting_a_session_being_made_waits_and_uses_it(org, refresher):
    """The other run's session is not committed yet when this one looks for it, so this
    one's insert waits on the unique index (PostgreSQL) or its BEGIN (SQLite)."""
    today = datetime.date(2026, 10, 1)
    outcome = {}

    def other_run() -> None:
        try:
            outcome["counts"] = recurring.refresher_plan(today=today)
        finally:
            connection.close()

    with transaction.atomic():
        made = services.session_create(
            actor=None,
            course=refresher,
            starts_at=datetime.datetime(2026, 10, 16, 9, tzinfo=SHANGHAI),
            ends_at=datetime.datetime(2026, 10, 16, 12, tzinfo=SHANGHAI),
            quarter_key="2026-Q4",
        )
        thread = threading.Thread(target=other_run)
        thread.start()
        time.sleep(1)
    thread.join(timeout=30)

    assert outcome["counts"] == {"sessions": 0, "enrolled": 12}
    assert list(TrainingSession.objects.values_list("pk", flat=True)) == [made.pk]
    assert enrolled(made) == not_left()


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_remind_each_trainee_once(org, refresher, make_session):
    session = make_session(refresher, days=0.5)
    services.enrol(actor=None, session=session, people=Staff.objects.all())

    outcomes = run_at_once(recurring.reminders_send, recurring.reminders_send)

    assert sum(outcome["reminded"] for outcome in outcomes) == 12, outcomes
    assert Notification.objects.filter(kind=Kind.TRAINING_REMINDER).count() == 12
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == not_left()


@pytest.mark.django_db(transaction=True)
def test_two_alert_runs_at_once_alert_once(org, refresher):
    today = datetime.date(2026, 11, 23)

    outcomes = run_at_once(*[lambda: recurring.alerts_raise(today=today)] * 2)

    security = Course.objects.get(name=SECURITY)
    overdue = sorted(outcome["required_overdue"] for outcome in outcomes)
    assert overdue[0] == 0, outcomes
    assert TrainingAlert.objects.count() == overdue[1]
    assert TrainingAlert.objects.filter(course=security).count() == 12
    assert Notification.objects.filter(kind=Kind.TRAINING_OVERDUE, recipient=org.agent).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_quarterly_auto_enrolment(org, refresher, worker):
    offboard(org.agent_b)

    results = [training_refresher_plan.apply_async(queue=worker) for _ in range(2)]
    outcomes = [result.get(timeout=90) for result in results]

    key = recurring.Quarter.of(timezone.localdate()).key
    session = TrainingSession.objects.get()
    assert (session.course_id, session.quarter_key) == (refresher.pk, key)
    assert timezone.localdate(session.starts_at) > timezone.localdate()
    assert sorted(outcome["sessions"] for outcome in outcomes) == [0, 1]
    assert sum(outcome["enrolled"] for outcome in outcomes) == 11
    assert enrolled(session) == not_left()
    assert org.agent_b.pk not in enrolled(session)


# ── Reminders ──────────────────────────────────────────────────────────────────────────


def test_reminders_go_out_once_and_only_within_the_window(org, refresher, make_session):
    soon = make_session(refresher, days=0.5, title="服务技巧复盘", place="3楼培训室")
    later = make_session(refresher, days=3)
    services.enrol(actor=None, session=soon, people=[org.agent, org.agent2])
    services.enrol(actor=None, session=later, people=[org.agent_b])

    first = recurring.reminders_send()
    second = recurring.reminders_send()

    start = timezone.localtime(soon.starts_at).strftime("%Y-%m-%d %H:%M")
    text = f"Training 服务技巧复盘 starts at {start}, 3楼培训室."
    assert (first, second) == ({"reminded": 2}, {"reminded": 0})
    assert notified(Kind.TRAINING_REMINDER) == [("张三", text), ("李四", text)]
    assert set(
        Enrolment.objects.filter(reminded_at__isnull=False).values_list("session", flat=True)
    ) == {soon.pk}

    in_two_days = recurring.reminders_send(now=timezone.now() + datetime.timedelta(days=2, hours=1))

    assert in_two_days == {"reminded": 1}
    assert (
        Notification.objects.filter(kind=Kind.TRAINING_REMINDER, recipient=org.agent_b).count() == 1
    )


def test_no_reminder_for_a_cancelled_session_a_past_one_or_someone_who_left(
    org, refresher, make_session
):
    cancelled = make_session(refresher, days=0.5)
    past = make_session(refresher, days=-0.1)
    soon = make_session(refresher, days=0.5)
    services.enrol(actor=None, session=cancelled, people=[org.agent])
    services.enrol(actor=None, session=past, people=[org.agent])
    services.enrol(actor=None, session=soon, people=[org.agent2, org.agent_b])
    TrainingSession.objects.filter(pk=cancelled.pk).update(status="cancelled")
    offboard(org.agent_b)

    assert recurring.reminders_send() == {"reminded": 1}
    assert [name for name, _text in notified(Kind.TRAINING_REMINDER)] == ["李四"]


# ── Overdue required courses ────────────────────────────────────────────────────────────


def assess(course: Course, person: Staff, exam: int, at: datetime.datetime | None = None):
    """Enrol the person in a new session of the course and record their exam."""
    starts = at or timezone.now()
    session = services.session_create(
        actor=None,
        course=course,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
    )
    (enrolment,) = services.enrol(actor=None, session=session, people=[person])
    return services.assessment_record(actor=None, enrolment=enrolment, scores={"exam": exam}, at=at)


def test_an_overdue_required_course_alerts_the_person_and_their_leader_once(org, courses):
    product = courses[PRODUCT]
    Course.objects.exclude(pk=product.pk).update(is_active=False)
    today = datetime.date(2026, 11, 23)
    assess(product, org.agent, exam=80)  # passed
    assess(product, org.agent2, exam=40)  # failed: still owes the course
    newcomer = StaffFactory(
        name="新人", team=org.presales2, hire_date=today - datetime.timedelta(days=30)
    )
    offboard(org.agent_b)

    first = recurring.alerts_raise(today=today)
    second = recurring.alerts_raise(today=today)

    assert first == {"required_overdue": 5, "certificate_expiring": 0}
    assert second == {"required_overdue": 0, "certificate_expiring": 0}
    alerts = TrainingAlert.objects.filter(course=product, kind="required_overdue")
    assert sorted(alerts.values_list("staff__name", "due_on")) == [
        ("吴主管", datetime.date(2025, 2, 5)),
        ("李主管", datetime.date(2025, 2, 5)),
        ("李四", datetime.date(2025, 2, 5)),
        ("赵主管", datetime.date(2025, 2, 5)),
        ("钱五", datetime.date(2025, 2, 5)),
    ]

    def text(name: str) -> str:
        return f"{name} has not passed the required course 产品知识 (due 2025-02-05)."

    assert notified(Kind.TRAINING_OVERDUE) == sorted(
        [
            ("李四", text("李四")), ("李主管", text("李四")),  # agent → their supervisor
            ("李主管", text("李主管")), ("王经理", text("李主管")),  # a leader → the manager
            ("赵主管", text("赵主管")), ("王经理", text("赵主管")),
            ("吴主管", text("吴主管")), ("孙经理", text("吴主管")),
            ("钱五", text("钱五")), ("赵主管", text("钱五")),
        ]
    )  # fmt: skip

    a_day_later = recurring.alerts_raise(today=today + datetime.timedelta(days=1))

    assert a_day_later == {"required_overdue": 1, "certificate_expiring": 0}
    assert alerts.filter(staff=newcomer).get().due_on == today


def test_onboarding_passed_without_an_enrolment_is_not_overdue(org, courses):
    onboarding = courses["新员工入职培训"]
    Course.objects.exclude(pk=onboarding.pk).update(is_active=False)
    probationer = StaffFactory(
        name="试用", team=org.presales1, status="probation", onboarding_passed=False
    )

    assert recurring.alerts_raise(today=datetime.date(2026, 11, 23))["required_overdue"] == 1
    assert list(TrainingAlert.objects.values_list("staff", flat=True)) == [probationer.pk]


# ── Expiring certificates ───────────────────────────────────────────────────────────────


def at(day: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=10, tzinfo=SHANGHAI)


def test_an_expiring_or_expired_certificate_alerts_once_unless_renewed(org, courses):
    security = courses[SECURITY]
    today = datetime.date(2026, 11, 23)
    assess(security, org.agent, 80, at("2025-12-01"))  # expires in 8 days
    assess(security, org.agent2, 80, at("2025-06-01"))  # expired
    assess(security, org.supervisor, 80, at("2025-06-01"))  # expired, but renewed:
    assess(security, org.supervisor, 80, at("2026-06-01"))  # valid until 2027-06-01
    assess(security, org.supervisor2, 80, at("2026-01-15"))  # 53 days left
    assess(security, org.agent_b, 80, at("2025-12-01"))
    offboard(org.agent_b)

    first = recurring.alerts_raise(today=today)
    second = recurring.alerts_raise(today=today)

    assert (first["certificate_expiring"], second["certificate_expiring"]) == (2, 0)
    assert sorted(
        TrainingAlert.objects.filter(kind="certificate_expiring").values_list(
            "staff__name", "course__name", "due_on"
        )
    ) == [
        ("张三", SECURITY, datetime.date(2026, 12, 1)),
        ("李四", SECURITY, datetime.date(2026, 6, 1)),
    ]
    expires = f"The {SECURITY} certificate of 张三 expires on 2026-12-01."
    expired = f"The {SECURITY} certificate of 李四 expired on 2026-06-01."
    assert notified(Kind.CERTIFICATE_EXPIRING) == sorted(
        [("张三", expires), ("李主管", expires), ("李四", expired), ("李主管", expired)]
    )
    assert sorted(
        Certificate.objects.filter(expiry_alerted_at__isnull=False).values_list(
            "staff__name", flat=True
        )
    ) == ["张三", "李四"]
