"""Inbound platform events: signed, fresh, once per event id, mapped to tickets."""

import json
import time

import pytest
from django.db import connection
from django.test import Client

from tests.concurrency import run_at_once
from tests.tickets.factories import ShopFactory
from tickets.models import InboundEvent, Message, Ticket
from tickets.services.webhooks import signature_for

EVENT = {
    "event_id": "evt-20261123-0001",
    "event_type": "refund_dispute.opened",
    "occurred_at": "2026-11-23T10:05:00+08:00",
    "order_ref": "TB88990011",
    "buyer": {"buyer_id": "tb_chenjing", "name": "陈静", "phone": "13900001111"},
    "data": {"reason": "商品与描述不符，申请退款 199 元", "amount": "199.00"},
}


@pytest.fixture
def shop(org, seeded_policies):
    return ShopFactory(code="shop-a", default_team=org.presales1, complaint_team=org.complaints)


def send(client, shop, event, *, secret=None, timestamp=None, signature=None):
    body = event if isinstance(event, bytes) else json.dumps(event, ensure_ascii=False).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    if signature is None:
        signature = signature_for(secret or shop.webhook_secret, timestamp, body)
    return client.post(
        f"/api/v1/shops/{shop.code}/events/",
        body,
        content_type="application/json",
        headers={"X-CSManage-Timestamp": timestamp, "X-CSManage-Signature": signature},
    )


def test_a_refund_dispute_opens_a_complaint_from_when_it_happened(client, shop, org):
    response = send(client, shop, EVENT)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["duplicate"] is False
    ticket = Ticket.objects.get(number=body["ticket"])
    assert (ticket.type, ticket.priority, ticket.team, ticket.shop) == (
        "complaint",
        "P2",
        org.complaints,
        shop,
    )
    assert ticket.order_ref == "TB88990011"
    assert ticket.opened_at.isoformat() == "2026-11-23T02:05:00+00:00"
    assert ticket.customer.accounts.get().buyer_id == "tb_chenjing"
    assert "199" in ticket.description
    assert InboundEvent.objects.get().ticket == ticket


def test_the_same_event_delivered_twenty_times_makes_one_ticket(client, shop):
    answers = [send(client, shop, EVENT) for _ in range(20)]

    assert {answer.status_code for answer in answers} == {200}
    assert [answer.json()["duplicate"] for answer in answers] == [False] + [True] * 19
    assert len({answer.json()["ticket"] for answer in answers}) == 1
    assert Ticket.objects.count() == 1
    assert InboundEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_deliveries_make_one_ticket(org, seeded_policies):
    if connection.vendor == "sqlite":
        pytest.skip("needs a database with concurrent writers (PostgreSQL in CI)")
    shop = ShopFactory(code="shop-a", default_team=org.presales1, complaint_team=org.complaints)
    answers = run_at_once(*[lambda: send(Client(), shop, EVENT).status_code] * 20)

    assert answers == [200] * 20
    assert Ticket.objects.count() == 1
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("tamper", "detail"),
    [
        ({"signature": "sha256=" + "0" * 64}, "signature"),
        ({"secret": "someone-elses-secret"}, "signature"),
        # (made when the test runs, not when the suite is collected minutes before)
        ({"timestamp": lambda: str(int(time.time()) - 301)}, "5 minutes"),
        ({"timestamp": lambda: str(int(time.time()) + 400)}, "5 minutes"),
        ({"timestamp": "yesterday"}, "Unix time"),
        ({"timestamp": "9" * 400}, "Unix time"),  # overflows a float
        ({"timestamp": "١٧٩٥٤٣٣٣٧٨"}, "Unix time"),  # digits to int(), not to us
        ({"timestamp": "1_795_433_378"}, "Unix time"),
        ({"signature": "sha256=é"}, "signature"),  # compare_digest refuses non-ASCII str
        ({"signature": ""}, "Sign the request"),
    ],
)
def test_a_bad_signature_or_stale_timestamp_is_refused(client, shop, tamper, detail, settings):
    settings.LANGUAGE_CODE = "en"

    tamper = {name: value() if callable(value) else value for name, value in tamper.items()}

    response = send(client, shop, EVENT, **tamper)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert not Ticket.objects.exists()
    assert not InboundEvent.objects.exists()


def test_a_tampered_body_fails_the_signature(client, shop):
    timestamp = str(int(time.time()))
    signature = signature_for(shop.webhook_secret, timestamp, json.dumps(EVENT).encode())
    tampered = json.dumps({**EVENT, "order_ref": "TB000"}).encode()

    response = send(client, shop, tampered, timestamp=timestamp, signature=signature)

    assert response.status_code == 401


def test_unknown_shop_is_404_and_bad_payloads_are_400(client, shop):
    ghost = ShopFactory.build(code="ghost", webhook_secret="x")

    assert send(client, ghost, EVENT, secret="x").status_code == 404
    assert send(client, shop, b"\xff not json").status_code == 400
    missing = send(client, shop, {"event_id": "e1"})
    assert missing.status_code == 400
    assert {"event_type", "occurred_at"} <= set(missing.json()["errors"])
    unknown = send(client, shop, {**EVENT, "event_type": "planet.exploded"})
    assert unknown.status_code == 400
    assert "event_type" in unknown.json()["errors"]
    assert not Ticket.objects.exists()


def test_follow_up_events_land_on_the_orders_open_ticket(client, shop):
    opened = send(client, shop, EVENT).json()["ticket"]

    again = send(client, shop, {**EVENT, "event_id": "evt-2", "data": {"reason": "再次申请"}})
    message = send(
        client,
        shop,
        {**EVENT, "event_id": "evt-3", "event_type": "buyer.message", "data": {"message": "在吗"}},
    )
    cancelled = send(
        client, shop, {**EVENT, "event_id": "evt-4", "event_type": "order.cancelled", "data": {}}
    )
    elsewhere = send(
        client,
        shop,
        {**EVENT, "event_id": "evt-5", "event_type": "order.cancelled", "order_ref": "X"},
    )

    assert again.json()["ticket"] == message.json()["ticket"] == opened
    assert cancelled.json()["ticket"] == opened
    assert elsewhere.status_code == 200
    assert elsewhere.json()["ticket"] is None
    ticket = Ticket.objects.get(number=opened)
    assert list(ticket.messages.values_list("kind", "body")) == [
        (Message.Kind.CUSTOMER, "再次申请"),
        (Message.Kind.CUSTOMER, "在吗"),
        (Message.Kind.NOTE, "订单已取消。"),
    ]
    assert Ticket.objects.count() == 1


def test_a_buyer_message_without_an_open_ticket_opens_a_consultation(client, shop):
    event = {**EVENT, "event_type": "buyer.message", "data": {"message": "什么时候发货"}}

    number = send(client, shop, event).json()["ticket"]

    ticket = Ticket.objects.get(number=number)
    assert (ticket.type, ticket.description) == ("consultation", "什么时候发货")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**EVENT, "data": {"reason": "商品\x00破损"}}, "data.reason"),
        ({**EVENT, "data": {"items": [{"sku": "\ud800"}]}}, "data.items.0.sku"),
        ({**EVENT, "platform_extra": "\x00"}, "platform_extra"),
        ({**EVENT, "occurred_at": "1970-01-01T00:00:00Z"}, "occurred_at"),
    ],
)
def test_an_event_the_database_could_not_keep_is_a_field_error(client, shop, body, field):
    response = send(client, shop, json.dumps(body).encode())  # "\ud800" escaped, as sent

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not InboundEvent.objects.exists()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        json.dumps(
            {
                **EVENT,
                "data": {"x": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
            }
        ).encode(),
        json.dumps(EVENT).encode()[:-1] + b', "amount": 1e400}',
        json.dumps(EVENT).encode()[:-1] + b', "amount": ' + b"9" * 5000 + b"}",
    ],
)
def test_json_too_deep_or_numbers_too_large_are_a_400(client, shop, body):
    response = send(client, shop, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not InboundEvent.objects.exists()


def test_an_event_that_opens_a_ticket_needs_the_buyer_and_a_note_does_not(client, shop):
    no_buyer = {key: value for key, value in EVENT.items() if key != "buyer"}

    dispute = send(client, shop, no_buyer)
    cancelled = send(
        client, shop, {**no_buyer, "event_id": "evt-2", "event_type": "order.cancelled"}
    )
    bad_phone = send(
        client, shop, {**EVENT, "event_id": "evt-3", "buyer": {"buyer_id": "tb_x", "phone": "1"}}
    )

    assert dispute.status_code == bad_phone.status_code == 400
    assert list(dispute.json()["errors"]) == ["buyer.buyer_id"]
    assert list(bad_phone.json()["errors"]) == ["buyer.phone"]
    assert cancelled.status_code == 200
    assert list(InboundEvent.objects.values_list("event_id", flat=True)) == ["evt-2"]
    assert not Ticket.objects.exists()
