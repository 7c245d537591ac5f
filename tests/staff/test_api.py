"""/api/v1/staff/ and /api/v1/teams/ obey the scope rule."""

import pytest

from tests.staff.test_scope import VISIBLE, names_of


def all_results(client, url):
    names = []
    while url:
        body = client.get(url).json()
        names += [row["name"] for row in body["results"]]
        url = body["next"]
    return names


@pytest.mark.parametrize(("who", "sees"), VISIBLE.items(), ids=VISIBLE.keys())
def test_staff_api_is_scoped(org, login, who, sees):
    client = login(getattr(org, who))

    names = all_results(client, "/api/v1/staff/")

    assert sorted(names) == sorted(names_of(org, sees))


def test_staff_api_record_outside_scope_is_404(org, login):
    client = login(org.supervisor)

    assert (
        client.get(f"/api/v1/staff/{org.agent.pk}/").json()["reports_to"]
        == org.supervisor.employee_number
    )
    assert client.get(f"/api/v1/staff/{org.agent_b.pk}/").status_code == 404


def test_staff_api_filters(org, login):
    client = login(org.director)

    body = client.get("/api/v1/staff/", {"role": "supervisor", "team": org.presales1.pk}).json()

    assert [row["name"] for row in body["results"]] == ["李主管"]
    assert client.get("/api/v1/staff/", {"role": "boss"}).status_code == 400


def test_staff_api_needs_login(client, db):
    response = client.get("/api/v1/staff/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_teams_api_is_scoped(org, login):
    body = login(org.manager).get("/api/v1/teams/").json()

    assert {row["name"]: row["headcount"] for row in body["results"]} == {
        "售前部": 1,
        "售前一组": 3,
        "售前二组": 2,
    }


def test_staff_api_query_budget(org, login, django_assert_max_num_queries):
    client = login(org.director)

    with django_assert_max_num_queries(6):
        client.get("/api/v1/staff/")


def test_schema_is_served(client, db):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/v1/staff/" in response.content
