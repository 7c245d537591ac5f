"""Staff and team admin: writes go through the services, errors show on the form."""

from django.contrib.auth import get_user_model
from django.urls import reverse

from staff.models import Staff, Team

User = get_user_model()
ADD_URL = reverse("admin:staff_staff_add")


def staff_form(**overrides):
    data = {
        "employee_number": "A0001",
        "name": "新同事",
        "username": "newcolleague",
        "email": "new@example.cn",
        "password": "",
        "role": "specialist",
        "team": "",
        "reports_to": "",
        "specialisation": "aftersales",
        "skills": "投诉，电话",
        "mobile": "",
        "hire_date": "2026-11-23",
        "status": "probation",
        "confidentiality_signed_on": "2026-11-23",
    }
    return {**data, **overrides}


def test_hr_adds_staff_with_a_login(org, login):
    response = login(org.hr).post(
        ADD_URL, staff_form(team=org.complaints.pk, password="Wel-come-2026!")
    )

    assert response.status_code == 302
    new = Staff.objects.get(employee_number="A0001")
    assert new.skills == ["投诉", "电话"]
    assert new.reports_to == org.supervisor_b
    assert new.user.check_password("Wel-come-2026!")


def test_admin_form_shows_service_errors_and_writes_nothing(org, login):
    response = login(org.manager).post(ADD_URL, staff_form(role="director", team=org.presales1.pk))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"] == ["您的角色无权授予“客服总监”角色。"]
    assert not User.objects.filter(username="newcolleague").exists()


def test_admin_form_refuses_a_weak_password(org, login):
    response = login(org.hr).post(ADD_URL, staff_form(password="12345678"))

    assert response.status_code == 200
    assert "password" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="newcolleague").exists()


def test_supervisor_edits_skills_but_not_role(org, login):
    url = reverse("admin:staff_staff_change", args=[org.agent.pk])
    data = staff_form(
        employee_number=org.agent.employee_number,
        name=org.agent.name,
        role="manager",
        status="on_post",
        skills="chat",
        onboarding_passed="on",
    )

    response = login(org.supervisor).post(url, data)

    assert response.status_code == 302
    org.agent.refresh_from_db()
    assert (org.agent.role, org.agent.team, org.agent.skills) == (
        "specialist",
        org.presales1,
        ["chat"],
    )


def test_team_admin_creates_a_group_under_own_department(org, login):
    client = login(org.manager)
    add = reverse("admin:staff_team_add")

    ok = client.post(add, {"name": "售前三组", "kind": "group", "parent": org.presales.pk})
    refused = client.post(add, {"name": "投诉二组", "kind": "group", "parent": org.aftersales.pk})

    assert ok.status_code == 302
    assert (
        Team.objects.get(name="售前三组").path
        == f"{org.presales.path}{Team.objects.get(name='售前三组').pk}/"
    )
    assert refused.status_code == 200
    assert not Team.objects.filter(name="投诉二组").exists()


def test_staff_history_is_recorded(org, login):
    from staff import services

    services.staff_update(actor=org.director, staff=org.agent, status=Staff.Status.ON_LEAVE)

    assert list(org.agent.history.values_list("status", flat=True)) == ["on_leave", "on_post"]


def test_history_outside_scope_is_404_and_snapshots_render(org, login):
    from staff import services

    services.staff_update(actor=org.director, staff=org.agent, skills=["chat"])
    client = login(org.supervisor)

    history = "admin:staff_staff_history"
    assert client.get(reverse(history, args=[org.agent_b.pk])).status_code == 404
    assert client.get(reverse(history, args=[org.agent.pk])).status_code == 200
    version = org.agent.history.earliest("history_date").history_id
    snapshot = client.get(reverse("admin:staff_staff_simple_history", args=[org.agent.pk, version]))
    assert snapshot.status_code == 200
