"""离职: offboarding disables the login, records the hand-back and hands work on."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from staff import services
from staff.models import OffboardingRecord, Staff
from tests.conftest import PASSWORD


def test_offboarding_disables_login_and_records_hand_back(org, client):
    record = services.staff_offboard(
        actor=org.supervisor,
        staff=org.agent,
        left_on=datetime.date(2026, 11, 20),
        accounts_returned=["agent", "千牛子账号 shop:agent", " ", "工位电话 8021"],
        reason="个人原因",
    )

    org.agent.refresh_from_db()
    assert org.agent.status == Staff.Status.LEFT
    assert org.agent.left_on == datetime.date(2026, 11, 20)
    assert org.agent.user.is_active is False
    assert record.processed_by == org.supervisor
    assert record.accounts_returned == ["agent", "千牛子账号 shop:agent", "工位电话 8021"]
    assert client.login(username="agent", password=PASSWORD) is False


def test_an_open_session_ends_when_the_person_leaves(org, login):
    client = login(org.agent)
    assert client.get(reverse("staff:me")).status_code == 200

    services.staff_offboard(actor=org.director, staff=org.agent, accounts_returned=["agent"])

    response = client.get(reverse("staff:me"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_leader_leaving_hands_reports_up_and_vacates_the_group(org):
    services.staff_offboard(
        actor=org.manager, staff=org.supervisor, accounts_returned=["supervisor"]
    )

    org.agent.refresh_from_db()
    org.presales1.refresh_from_db()
    assert org.agent.reports_to == org.manager
    assert org.presales1.leader is None
    assert org.supervisor.user.is_staff is True  # the in-memory copy; the stored one:
    org.supervisor.user.refresh_from_db()
    assert org.supervisor.user.is_staff is False


def test_a_new_supervisor_can_take_the_vacant_group(org):
    services.staff_offboard(
        actor=org.manager, staff=org.supervisor, accounts_returned=["supervisor"]
    )

    successor = services.staff_update(
        actor=org.manager, staff=org.agent, role=Staff.Role.SUPERVISOR
    )

    org.presales1.refresh_from_db()
    assert org.presales1.leader == successor


def test_offboarding_twice_is_refused(org):
    services.staff_offboard(actor=org.director, staff=org.agent, accounts_returned=["agent"])

    with pytest.raises(ValidationError):
        services.staff_offboard(actor=org.director, staff=org.agent, accounts_returned=["agent"])
    assert OffboardingRecord.objects.filter(staff=org.agent).count() == 1


def test_offboarding_outside_scope_is_refused_and_nothing_changes(org):
    with pytest.raises(PermissionDenied):
        services.staff_offboard(actor=org.supervisor, staff=org.agent_b, accounts_returned=["x"])

    org.agent_b.refresh_from_db()
    assert org.agent_b.status == Staff.Status.ON_POST
    assert org.agent_b.user.is_active
    assert not OffboardingRecord.objects.exists()


def test_admin_offboard_action(org, login):
    client = login(org.hr)
    url = reverse("admin:staff_staff_changelist")
    selection = {"action": "offboard", "_selected_action": [org.agent.pk, org.agent2.pk]}

    form_page = client.post(url, selection)
    assert form_page.status_code == 200
    assert "张三" in form_page.content.decode()

    missing = client.post(url, {**selection, "confirm": "1", "left_on": "2026-11-23"})
    assert missing.status_code == 200
    assert missing.context["form"].errors == {"accounts_returned": ["该字段是必填项。"]}
    assert not OffboardingRecord.objects.exists()

    done = client.post(
        url,
        {
            **selection,
            "confirm": "1",
            "left_on": "2026-11-23",
            "accounts_returned": "登录账号\n电话工号",
        },
    )
    assert done.status_code == 302
    assert set(OffboardingRecord.objects.values_list("staff__name", flat=True)) == {"张三", "李四"}
    assert OffboardingRecord.objects.get(staff=org.agent).accounts_returned == [
        "登录账号",
        "电话工号",
    ]
