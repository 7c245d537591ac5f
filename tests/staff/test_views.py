"""Login, the role's home page, and the pages' query budget."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


def test_login_page_then_home(client, org):
    response = client.post(reverse("login"), {"username": "supervisor", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_wrong_password_is_a_clear_error(client, org):
    response = client.post(reverse("login"), {"username": "supervisor", "password": "nope"})

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("staff:list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("director", lambda org: reverse("staff:teams")),
        ("manager", lambda org: reverse("staff:team", args=[org.presales.pk])),
        ("supervisor", lambda org: reverse("staff:team", args=[org.presales1.pk])),
        ("agent", lambda org: reverse("tickets:queue", args=["mine"])),
        ("qa", lambda org: reverse("staff:me")),
        ("hr", lambda org: reverse("staff:list")),
    ],
)
def test_home_depends_on_role(org, login, who, home):
    response = login(getattr(org, who)).get(reverse("home"))

    assert response.status_code == 302
    assert response.url == home(org)


def test_navigation_by_role(org, login):
    agent_page = login(org.agent).get(reverse("staff:me")).content.decode()
    supervisor_page = login(org.supervisor).get(reverse("staff:me")).content.decode()

    assert "组织架构" not in agent_page
    assert "管理后台" not in agent_page
    assert "组织架构" in supervisor_page
    assert "管理后台" in supervisor_page


def test_team_page_lists_the_subtree(org, login):
    response = login(org.manager).get(reverse("staff:team", args=[org.presales.pk]))

    assert {person.name for person in response.context["members"]} == {
        "王经理", "李主管", "赵主管", "张三", "李四", "钱五",
    }  # fmt: skip


def test_other_department_team_page_is_404(org, login):
    response = login(org.manager).get(reverse("staff:team", args=[org.complaints.pk]))

    assert response.status_code == 404


def test_team_pages_query_budget(org, login, django_assert_max_num_queries):
    client = login(org.director)

    with django_assert_max_num_queries(8):
        client.get(reverse("staff:teams"))
    with django_assert_max_num_queries(10):
        client.get(reverse("staff:team", args=[org.presales.pk]))
