"""manage.py seed_demo: the demo organisation, idempotent, refused in production."""

import pytest
from django.core.management import CommandError, call_command

from staff.models import Staff, Team
from tests.conftest import PASSWORD


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = PASSWORD
    call_command("seed_demo", customers=20, tickets=100)


def test_demo_organisation_shape(demo):
    roles = {role: Staff.objects.filter(role=role).count() for role in Staff.Role.values}

    assert roles == {
        "director": 1, "manager": 2, "supervisor": 6, "specialist": 60, "qa_inspector": 2, "hr": 1,
    }  # fmt: skip
    assert Team.objects.filter(kind=Team.Kind.DEPARTMENT).count() == 2
    assert Team.objects.filter(kind=Team.Kind.GROUP, leader__role="supervisor").count() == 6
    assert Team.objects.filter(kind=Team.Kind.DEPARTMENT, leader__role="manager").count() == 2
    assert Staff.objects.values("name").distinct().count() == 72


def test_demo_logins_work(demo, client):
    for username in ("director", "manager1", "supervisor1", "agent1", "agent2", "qa1", "hr1"):
        assert client.login(username=username, password=PASSWORD), username


def test_seed_demo_twice_changes_nothing(demo):
    before = sorted(
        Staff.objects.values_list("employee_number", "name", "team__name", "reports_to")
    )

    call_command("seed_demo", customers=20, tickets=100)

    after = sorted(Staff.objects.values_list("employee_number", "name", "team__name", "reports_to"))
    assert after == before


def test_seed_demo_refuses_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not Staff.objects.exists()
