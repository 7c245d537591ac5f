"""Lists: a cursor the server did not make is a 400, and any moment ISO 8601 allows is a
filter; never a server error."""

import base64
from urllib.parse import urlencode

import pytest

from tests.tickets.factories import CustomerFactory, ShopFactory
from tickets import services
from tickets.models import ApiKey
from tickets.services.integrations import api_key_create


@pytest.fixture
def shop(db):
    return ShopFactory(code="yangguang-tmall")


@pytest.fixture
def shop_headers(shop):
    _key, raw = api_key_create(name="lists", shop=shop, scopes=ApiKey.Scope.values)
    return {"authorization": f"Bearer {raw}"}


def _cursor(**tokens) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(p="abc"),
        _cursor(p="1.5"),
        _cursor(p="²"),
        _cursor(p="99999999999999999999999"),
        _cursor(p="-99999999999999999999999"),
        "not base64 at all",
        "%%%",  # nothing base64 would decode: it read as the first page
        _cursor(p="1") + "*",
    ],
)
def test_a_forged_cursor_is_a_bad_request(client, shop_headers, cursor):
    response = client.get("/api/v1/tickets/", {"cursor": cursor}, headers=shop_headers)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize(
    ("since", "listed"),
    [
        ("2000-01-01T00:00:00-16:59", True),  # an offset PostgreSQL would refuse
        ("2999-01-01T00:00:00+23:59", False),
        ("9999-12-31T23:00:00-05:00", False),  # past year 9999 in UTC
        ("0001-01-01T00:00:00+05:00", True),  # before year 1 in UTC
    ],
)
def test_updated_since_takes_any_iso_moment(client, org, shop, shop_headers, since, listed):
    ticket = services.ticket_create(
        actor=None,
        subject="订单物流三天未更新",
        type="logistics",
        channel="api",
        team=org.presales1,
        customer=CustomerFactory(),
        shop=shop,
    )

    response = client.get("/api/v1/tickets/", {"updated_since": since}, headers=shop_headers)

    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == (
        [ticket.number] if listed else []
    )
