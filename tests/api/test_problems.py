"""Errors are problem details whatever was asked: a method no operation answers, an OPTIONS
request, a path without its closing slash, an unknown ticket, the schema's own errors."""

import pytest

from tests.tickets.factories import ShopFactory
from tickets.models import ApiKey
from tickets.services.integrations import api_key_create, shop_ticket_open


@pytest.fixture
def shop(org, seeded_policies):
    return ShopFactory(code="yangguang-tmall", default_team=org.presales1)


@pytest.fixture
def ticket(shop):
    return shop_ticket_open(
        shop=shop,
        customer={"buyer_id": "tb_xiaoming", "name": "小明"},
        subject="订单 E20251111-0001 物流三天未更新",
        type="logistics",
    )


def headers_for(shop, scopes=ApiKey.Scope.values) -> dict:
    _key, raw = api_key_create(name="problems", shop=shop, scopes=scopes)
    return {"authorization": f"Bearer {raw}"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("put", "/api/v1/tickets/{number}/", "GET, PATCH, HEAD, OPTIONS"),
        ("delete", "/api/v1/tickets/{number}/", "GET, PATCH, HEAD, OPTIONS"),
        ("post", "/api/v1/tickets/{number}/", "GET, PATCH, HEAD, OPTIONS"),
        ("delete", "/api/v1/tickets/", "GET, POST, HEAD, OPTIONS"),
        ("get", "/api/v1/tickets/{number}/rating/", "POST, OPTIONS"),
        ("put", "/api/v1/tickets/{number}/messages/", "GET, POST, HEAD, OPTIONS"),
        ("patch", "/api/v1/customers/tb_xiaoming/", "GET, HEAD, OPTIONS"),
        ("trace", "/api/v1/customers/", "GET, POST, HEAD, OPTIONS"),
    ],
)
def test_a_method_no_operation_answers_is_a_405_with_allow_even_for_a_narrow_key(
    client, shop, ticket, method, path, allow
):
    headers = headers_for(shop, scopes=["tickets:read"])

    response = client.generic(method.upper(), path.format(number=ticket.number), headers=headers)

    assert response.status_code == 405
    assert response["Allow"] == allow
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/method_not_allowed")


def test_a_method_no_operation_answers_still_needs_a_key(client, ticket):
    response = client.put(f"/api/v1/tickets/{ticket.number}/")

    assert response.status_code == 401


def test_options_lists_the_methods_and_points_nowhere_else(client, shop, ticket):
    headers = headers_for(shop, scopes=["tickets:read"])

    response = client.options(f"/api/v1/tickets/{ticket.number}/rating/", headers=headers)

    assert response.status_code == 200
    assert response["Allow"] == "POST, OPTIONS"
    assert set(response.json()) == {"name", "description", "renders", "parses"}


def test_an_unknown_ticket_and_an_unknown_path_say_the_same(client, shop):
    headers = headers_for(shop)

    ticket = client.get("/api/v1/tickets/CS-209901-000001/", headers=headers)
    path = client.get("/api/v1/nowhere/", headers=headers)

    assert ticket.status_code == path.status_code == 404
    assert ticket.json()["detail"] == path.json()["detail"]
    assert ticket.json()["type"] == path.json()["type"]


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/customers/tb_xiaoming"])
def test_a_path_without_its_closing_slash_says_where_to_go(client, shop, path):
    response = client.post(path, {}, content_type="application/json", headers=headers_for(shop))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert f"“{path}/”" in response.json()["detail"]


def test_the_schemas_errors_are_json_too(client):
    response = client.post("/api/schema/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 405
