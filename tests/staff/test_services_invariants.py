"""Invariants of the organisation, enforced by the staff services."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from staff import services
from staff.models import Staff, Team
from staff.selectors import staff_list_for
from tests.staff.factories import GroupFactory, StaffFactory, TeamFactory

Role = Staff.Role
User = get_user_model()


def error_fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


def test_supervisor_becomes_leader_of_a_leaderless_group(org):
    assert org.presales1.leader == org.supervisor
    assert org.presales.leader == org.manager


def test_supervisor_must_be_in_a_group(org):
    with pytest.raises(ValidationError) as excinfo:
        StaffFactory(role=Role.SUPERVISOR, team=org.presales)

    assert error_fields(excinfo) == {"team"}
    assert not Staff.objects.filter(role=Role.SUPERVISOR, team=org.presales).exists()


def test_supervisor_without_team_is_refused(db):
    with pytest.raises(ValidationError) as excinfo:
        StaffFactory(role=Role.SUPERVISOR, team=None)

    assert error_fields(excinfo) == {"team"}


def test_second_supervisor_for_a_led_group_is_refused(org):
    users_before = User.objects.count()

    with pytest.raises(ValidationError) as excinfo:
        StaffFactory(username="second", role=Role.SUPERVISOR, team=org.presales1)

    assert "李主管" in excinfo.value.message_dict["team"][0]
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="second").exists()


def test_manager_must_be_in_a_department(org):
    with pytest.raises(ValidationError) as excinfo:
        StaffFactory(role=Role.MANAGER, team=org.presales1)

    assert error_fields(excinfo) == {"team"}


def test_default_line_manager_follows_the_tree(org):
    assert org.agent.reports_to == org.supervisor
    assert org.supervisor.reports_to == org.manager
    assert org.manager.reports_to == org.director
    assert org.director.reports_to is None


def test_reporting_cycle_is_refused(org):
    with pytest.raises(ValidationError) as excinfo:
        services.staff_update(actor=org.director, staff=org.manager, reports_to=org.agent)

    assert error_fields(excinfo) == {"reports_to"}
    org.manager.refresh_from_db()
    assert org.manager.reports_to == org.director


def test_reporting_to_oneself_is_refused(org):
    with pytest.raises(ValidationError):
        services.staff_update(actor=org.director, staff=org.agent, reports_to=org.agent)


def test_one_staff_record_per_login(org):
    with pytest.raises(ValidationError) as excinfo:
        StaffFactory(username="agent")

    assert error_fields(excinfo) == {"username"}
    with pytest.raises(IntegrityError):
        Staff.objects.create(
            user=org.agent.user,
            employee_number="DUP",
            name="重复",
            role=Role.SPECIALIST,
            hire_date=datetime.date(2025, 1, 1),
        )


def test_duplicate_employee_number_is_refused(org):
    with pytest.raises(ValidationError) as excinfo:
        StaffFactory(employee_number=org.agent.employee_number)

    assert error_fields(excinfo) == {"employee_number"}


def test_weak_initial_password_is_refused_and_nothing_written(db):
    with pytest.raises(ValidationError):
        StaffFactory(username="weak", password="12345678")

    assert not User.objects.filter(username="weak").exists()


def test_status_left_only_through_offboarding(org):
    with pytest.raises(ValidationError) as excinfo:
        services.staff_update(actor=org.director, staff=org.agent, status=Staff.Status.LEFT)

    assert error_fields(excinfo) == {"status"}


def test_changing_a_supervisor_role_releases_the_group(org):
    services.staff_update(actor=org.director, staff=org.supervisor, role=Role.SPECIALIST)

    org.presales1.refresh_from_db()
    assert org.presales1.leader is None


def test_admin_access_follows_the_role(org):
    assert org.supervisor.user.is_staff
    assert org.hr.user.is_staff
    assert not org.agent.user.is_staff

    services.staff_update(actor=org.director, staff=org.agent, role=Role.QA_INSPECTOR)

    org.agent.user.refresh_from_db()
    assert org.agent.user.is_staff


class TestWhoMayChangeWhom:
    def test_supervisor_edits_own_specialist(self, org):
        services.staff_update(actor=org.supervisor, staff=org.agent, skills=["complaint"])

        org.agent.refresh_from_db()
        assert org.agent.skills == ["complaint"]

    def test_supervisor_cannot_edit_another_group(self, org):
        with pytest.raises(PermissionDenied):
            services.staff_update(actor=org.supervisor, staff=org.agent_b, skills=["x"])

        org.agent_b.refresh_from_db()
        assert org.agent_b.skills == []

    def test_supervisor_cannot_promote(self, org):
        with pytest.raises(ValidationError) as excinfo:
            services.staff_update(actor=org.supervisor, staff=org.agent, role=Role.MANAGER)

        assert error_fields(excinfo) == {"role"}

    def test_manager_cannot_create_a_director(self, org):
        with pytest.raises(ValidationError) as excinfo:
            services.staff_create(actor=org.manager, **_new(role=Role.DIRECTOR))

        assert error_fields(excinfo) == {"role"}

    def test_manager_cannot_place_staff_outside_department(self, org):
        with pytest.raises(ValidationError) as excinfo:
            services.staff_create(actor=org.manager, **_new(team=org.complaints))

        assert error_fields(excinfo) == {"team"}

    def test_manager_creates_in_own_department(self, org):
        staff = services.staff_create(actor=org.manager, **_new(team=org.presales2))

        assert staff.reports_to == org.supervisor2

    def test_hr_creates_anyone_but_a_director(self, org):
        services.staff_create(actor=org.hr, **_new(role=Role.MANAGER, team=TeamFactory()))
        with pytest.raises(ValidationError):
            services.staff_create(
                actor=org.hr, **_new(username="d2", employee_number="D2", role=Role.DIRECTOR)
            )

    def test_nobody_edits_their_own_record(self, org):
        with pytest.raises(PermissionDenied):
            services.staff_update(actor=org.manager, staff=org.manager, name="改名")

    def test_specialist_changes_nothing(self, org):
        with pytest.raises(PermissionDenied):
            services.staff_update(actor=org.agent, staff=org.agent2, name="改名")


def _new(**overrides):
    values = {
        "username": "newhire",
        "employee_number": "N0001",
        "name": "新人",
        "role": Role.SPECIALIST,
        "hire_date": datetime.date(2026, 11, 2),
        "team": None,
    }
    return {**values, **overrides}


class TestTeamTree:
    def test_group_needs_a_department(self, db):
        with pytest.raises(ValidationError) as excinfo:
            services.team_create(actor=None, name="孤组", kind=Team.Kind.GROUP, parent=None)

        assert error_fields(excinfo) == {"parent"}
        assert not Team.objects.filter(name="孤组").exists()

    def test_nothing_under_a_group(self, org):
        with pytest.raises(ValidationError):
            GroupFactory(parent=org.presales1)

    def test_team_cannot_move_under_itself(self, org):
        sub = TeamFactory(name="子部门", parent=org.presales)

        with pytest.raises(ValidationError) as excinfo:
            services.team_update(
                actor=None, team=org.presales, name="售前部", kind="department", parent=sub
            )

        assert error_fields(excinfo) == {"parent"}

    def test_moving_a_department_carries_its_subtree_and_scope(self, org):
        holding = TeamFactory(name="客服中心")

        services.team_update(
            actor=None, team=org.presales, name="售前部", kind="department", parent=holding
        )

        org.presales1.refresh_from_db()
        assert org.presales1.path == f"/{holding.pk}/{org.presales.pk}/{org.presales1.pk}/"
        manager_login = User.objects.get(pk=org.manager.user_id)
        visible = {staff.name for staff in staff_list_for(user=manager_login)}
        assert {"张三", "钱五", "赵主管"} <= visible
        assert "郑六" not in visible

    def test_manager_may_add_a_group_to_own_department_only(self, org):
        services.team_create(actor=org.manager, name="售前三组", kind="group", parent=org.presales)
        with pytest.raises(PermissionDenied):
            services.team_create(
                actor=org.manager, name="投诉二组", kind="group", parent=org.aftersales
            )
        with pytest.raises(PermissionDenied):
            services.team_create(
                actor=org.supervisor, name="售前四组", kind="group", parent=org.presales
            )

    def test_leader_must_be_a_member_with_the_leading_role(self, org):
        with pytest.raises(ValidationError):
            services.team_set_leader(actor=None, team=org.presales1, leader=org.agent)
        with pytest.raises(ValidationError):
            services.team_set_leader(actor=None, team=org.presales2, leader=org.supervisor)
