"""The scope rule: each role × whom it sees, through the selector, the pages and the admin."""

import pytest
from django.http import Http404
from django.urls import reverse

from staff import services
from staff.selectors import scope_for, staff_get_for, staff_list_for, team_list_for

EVERYONE = {
    "director", "manager", "manager_b", "supervisor", "supervisor2", "supervisor_b",
    "agent", "agent2", "agent_p2", "agent_b", "qa", "hr",
}  # fmt: skip

VISIBLE = {
    "director": EVERYONE,
    "hr": EVERYONE,
    "manager": {"manager", "supervisor", "supervisor2", "agent", "agent2", "agent_p2"},
    "manager_b": {"manager_b", "supervisor_b", "agent_b"},
    "supervisor": {"supervisor", "agent", "agent2"},
    "supervisor_b": {"supervisor_b", "agent_b"},
    "agent": {"agent"},
    "agent_b": {"agent_b"},
    "qa": {"qa"},
}

VISIBLE_TEAMS = {
    "director": {"售前部", "售后部", "售前一组", "售前二组", "投诉组"},
    "hr": {"售前部", "售后部", "售前一组", "售前二组", "投诉组"},
    "manager": {"售前部", "售前一组", "售前二组"},
    "supervisor": {"售前一组"},
    "agent": set(),
    "qa": set(),
}


def names_of(org, keys):
    return {getattr(org, key).name for key in keys}


@pytest.mark.parametrize(("who", "sees"), VISIBLE.items(), ids=VISIBLE.keys())
def test_staff_scope_per_role(org, who, sees):
    viewer = getattr(org, who)

    visible = {staff.name for staff in staff_list_for(user=viewer.user)}

    assert visible == names_of(org, sees)


@pytest.mark.parametrize(("who", "teams"), VISIBLE_TEAMS.items(), ids=VISIBLE_TEAMS.keys())
def test_team_scope_per_role(org, who, teams):
    viewer = getattr(org, who)

    assert {team.name for team in team_list_for(user=viewer.user)} == teams


def test_someone_who_left_sees_nobody(org):
    services.staff_offboard(actor=org.director, staff=org.manager, accounts_returned=["manager"])
    org.manager.user.refresh_from_db()

    assert list(staff_list_for(user=org.manager.user)) == []


def test_account_without_staff_record_sees_nobody(django_user_model, org):
    user = django_user_model.objects.create_user("nobody", password="x-long-password")

    assert list(staff_list_for(user=user)) == []


def test_superuser_sees_everyone(django_user_model, org):
    root = django_user_model.objects.create_superuser("root", password="x-long-password")

    assert staff_list_for(user=root).count() == len(EVERYONE)


def test_out_of_scope_record_is_not_found(org):
    with pytest.raises(Http404):
        staff_get_for(user=org.supervisor.user, staff_id=org.agent_b.pk)


def test_scope_q_follows_a_relation(org):
    """Later records (tickets, reviews) reuse the rule through their staff relation."""
    scope = scope_for(org.supervisor.user)

    assert scope.q("assignee").children[-1] == ("assignee__pk", org.supervisor.pk)


@pytest.mark.parametrize(("who", "sees"), VISIBLE.items(), ids=VISIBLE.keys())
def test_staff_list_page_is_scoped(org, login, who, sees):
    response = login(getattr(org, who)).get(reverse("staff:list"))

    assert response.status_code == 200
    assert {staff.name for staff in response.context["page"]} == names_of(org, sees)


def test_staff_page_outside_scope_is_404(org, login):
    client = login(org.supervisor)

    assert client.get(reverse("staff:detail", args=[org.agent.pk])).status_code == 200
    assert client.get(reverse("staff:detail", args=[org.agent_b.pk])).status_code == 404


@pytest.mark.parametrize(
    ("who", "sees"),
    [(who, VISIBLE[who]) for who in ("director", "hr", "manager", "supervisor", "qa")],
)
def test_admin_changelist_is_scoped(org, login, who, sees):
    response = login(getattr(org, who)).get(reverse("admin:staff_staff_changelist"))

    assert response.status_code == 200
    assert {staff.name for staff in response.context["cl"].result_list} == names_of(org, sees)


def test_specialist_has_no_admin(org, login):
    response = login(org.agent).get(reverse("admin:staff_staff_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_admin_change_page_outside_scope_is_refused(org, login):
    response = login(org.supervisor).get(
        reverse("admin:staff_staff_change", args=[org.agent_b.pk]), follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("admin:index")


def test_staff_list_query_count_does_not_grow_with_page_size(
    org, login, django_assert_max_num_queries
):
    client = login(org.director)

    with django_assert_max_num_queries(8):
        client.get(reverse("staff:list"))
