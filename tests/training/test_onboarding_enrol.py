"""New hires join onboarding on their own: the next session with room, or a new one."""

import datetime

import pytest
from django_celery_beat.models import PeriodicTask

from staff.models import Staff
from tests.staff.factories import StaffFactory
from training import recurring, services
from training.models import TrainingSession


@pytest.fixture
def new_hires(org):
    return [
        StaffFactory(
            name=name, team=org.presales1, status=Staff.Status.PROBATION, onboarding_passed=False
        )
        for name in ("新人甲", "新人乙", "新人丙")
    ]


def test_waiting_new_hires_get_a_session_next_monday(org, new_hires, courses):
    first = recurring.onboarding_enrol(today=datetime.date(2026, 11, 25))  # a Wednesday
    again = recurring.onboarding_enrol(today=datetime.date(2026, 11, 25))

    session = TrainingSession.objects.get(course=courses["新员工入职培训"])
    assert first == {"sessions": 1, "enrolled": 3}
    assert again == {"sessions": 0, "enrolled": 0}
    starts = session.starts_at.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert (starts.date(), starts.hour) == (datetime.date(2026, 11, 30), 9)
    assert (session.ends_at - session.starts_at) == datetime.timedelta(days=4, hours=9)
    assert set(session.enrolments.values_list("staff__name", flat=True)) == {
        "新人甲",
        "新人乙",
        "新人丙",
    }


def test_new_hires_fill_a_planned_session_first_then_the_rest_get_a_new_one(
    org, new_hires, courses, make_session
):
    planned = make_session(courses["新员工入职培训"], days=3, capacity=2)
    services.enrol(actor=None, session=planned, people=[org.agent])

    counts = recurring.onboarding_enrol()

    assert counts == {"sessions": 1, "enrolled": 3}
    assert planned.enrolments.count() == 2
    newer = TrainingSession.objects.exclude(pk=planned.pk).get()
    assert newer.enrolments.count() == 2


def test_on_post_staff_and_those_already_enrolled_are_left_alone(org, courses, make_session):
    assert recurring.onboarding_enrol() == {"sessions": 0, "enrolled": 0}
    assert not TrainingSession.objects.exists()


def test_the_onboarding_job_is_in_beat(db):
    task = PeriodicTask.objects.get(task="training.onboarding_enrol")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "6",
        "10",
        "Asia/Shanghai",
    )
