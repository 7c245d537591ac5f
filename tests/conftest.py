"""Shared fixtures: a small named organisation.

director 周总 ─ 售前部 (manager 王经理) ─ 售前一组 (supervisor 李主管: agent 张三, 李四)
                                      └ 售前二组 (supervisor 赵主管: agent 钱五)
              └ 售后部 (manager 孙经理) ─ 投诉组 (supervisor 吴主管: agent 郑六)
qa 陈质检 and hr 冯人事 belong to no team.
"""

import pytest

from staff.models import Staff, Team
from tests.concurrency import celery_worker
from tests.staff.factories import StaffFactory, TeamFactory

Role = Staff.Role
PASSWORD = "correct-horse-9"


@pytest.fixture
def org(db):
    """The organisation above, as a namespace of people and teams."""

    class Org:
        pass

    o = Org()
    o.director = StaffFactory(
        username="director", name="周总", role=Role.DIRECTOR, password=PASSWORD
    )
    o.presales = TeamFactory(name="售前部")
    o.aftersales = TeamFactory(name="售后部")
    o.presales1 = TeamFactory(name="售前一组", kind=Team.Kind.GROUP, parent=o.presales)
    o.presales2 = TeamFactory(name="售前二组", kind=Team.Kind.GROUP, parent=o.presales)
    o.complaints = TeamFactory(name="投诉组", kind=Team.Kind.GROUP, parent=o.aftersales)
    o.manager = StaffFactory(
        username="manager", name="王经理", role=Role.MANAGER, team=o.presales, password=PASSWORD
    )
    o.manager_b = StaffFactory(name="孙经理", role=Role.MANAGER, team=o.aftersales)
    o.supervisor = StaffFactory(
        username="supervisor",
        name="李主管",
        role=Role.SUPERVISOR,
        team=o.presales1,
        password=PASSWORD,
    )
    o.supervisor2 = StaffFactory(name="赵主管", role=Role.SUPERVISOR, team=o.presales2)
    o.supervisor_b = StaffFactory(name="吴主管", role=Role.SUPERVISOR, team=o.complaints)
    o.agent = StaffFactory(username="agent", name="张三", team=o.presales1, password=PASSWORD)
    o.agent2 = StaffFactory(name="李四", team=o.presales1)
    o.agent_p2 = StaffFactory(name="钱五", team=o.presales2)
    o.agent_b = StaffFactory(name="郑六", team=o.complaints)
    o.qa = StaffFactory(username="qa", name="陈质检", role=Role.QA_INSPECTOR, password=PASSWORD)
    o.hr = StaffFactory(username="hr", name="冯人事", role=Role.HR, password=PASSWORD)
    for team in (o.presales, o.aftersales, o.presales1, o.presales2, o.complaints):
        team.refresh_from_db()
    return o


@pytest.fixture
def login(client):
    """Log the test client in as a staff member (``login(org.supervisor)``)."""

    def _login(staff: Staff):
        client.force_login(staff.user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def worker():
    """A real Celery worker (two processes) on the configured broker and the test database;
    the test sends its tasks to the queue this returns."""
    with celery_worker("worker") as queue:
        yield queue
