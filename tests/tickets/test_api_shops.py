"""The shop API: keys and scopes, isolation between shops, tickets, messages, ratings,
customers, idempotency and problem-details errors."""

import datetime
import json
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import Rating
from tests.tickets.factories import ShopFactory
from tickets.models import ApiKey, Customer, IdempotencyRecord, Message, Tag, Ticket
from tickets.services.integrations import api_key_create, api_key_revoke, shop_ticket_open

ALL = ApiKey.Scope.values
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
PAYLOAD = {
    "subject": "退款纠纷",
    "description": "买家申请仅退款，称商品破损。",
    "type": "complaint",
    "channel": "chat",
    "priority": "P2",
    "order_ref": "TB2026093012345",
    "customer": {"buyer_id": "tb_wangxm", "name": "王小明", "phone": "13812345678"},
}


@pytest.fixture
def shops(org, seeded_policies):
    a = ShopFactory(code="shop-a", default_team=org.presales1, complaint_team=org.complaints)
    b = ShopFactory(code="shop-b", default_team=org.presales2)
    return a, b


def client_for(shop=None, scopes=ALL, staff=None) -> APIClient:
    _key, raw = api_key_create(name="test", shop=shop, staff=staff, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def open_ticket(shop, **extra) -> Ticket:
    data = {**PAYLOAD, **extra}
    return shop_ticket_open(shop=shop, **data)


def post(client, path, data, **headers):
    return client.post(path, data, format="json", headers=headers)


def nested(levels: int) -> dict:
    """Objects inside each other, ``levels`` deep."""
    document: dict = {}
    for _level in range(levels - 1):
        document = {"x": document}
    return document


def test_a_shop_opens_a_ticket_and_the_buyer_is_upserted(shops, org):
    a, _b = shops
    client = client_for(a)

    response = post(client, "/api/v1/tickets/", PAYLOAD)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CS-")
    assert body["status"] == "new"
    assert (body["type"], body["priority"], body["sla_state"]) == ("complaint", "P2", "ok")
    assert body["customer"] == {"buyer_id": "tb_wangxm", "name": "王小明"}
    assert body["first_response_due"]
    assert body["resolution_due"]
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.shop, ticket.team) == (a, org.complaints)
    second = post(client, "/api/v1/tickets/", {**PAYLOAD, "type": "logistics"})
    assert second.status_code == 201
    assert Ticket.objects.get(number=second.json()["number"]).team == org.presales1
    assert Customer.objects.filter(accounts__shop=a, accounts__buyer_id="tb_wangxm").count() == 1


def test_opened_at_on_the_default_calendar_gives_the_sla_issue_due_times(shops):
    a, _b = shops
    opened = datetime.datetime(2026, 9, 30, 17, 30, tzinfo=SHANGHAI).isoformat()

    response = post(client_for(a), "/api/v1/tickets/", {**PAYLOAD, "opened_at": opened})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["opened_at"] == "2026-09-30T17:30:00+08:00"
    assert body["first_response_due"] == "2026-10-08T09:30:00+08:00"
    # 1,620 working minutes: 8 and 9 October, then the adjusted working Saturday 10 October
    assert body["resolution_due"] == "2026-10-10T17:30:00+08:00"
    assert body["sla_state"] == "breached"


def test_opened_at_in_the_future_is_a_field_error(shops):
    a, _b = shops
    later = (timezone.now() + datetime.timedelta(hours=1)).isoformat()

    response = post(client_for(a), "/api/v1/tickets/", {**PAYLOAD, "opened_at": later})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "opened_at" in response.json()["errors"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("method", "path_of"),
    [
        ("get", lambda t: f"/api/v1/tickets/{t.number}/"),
        ("patch", lambda t: f"/api/v1/tickets/{t.number}/"),
        ("get", lambda t: f"/api/v1/tickets/{t.number}/messages/"),
        ("post", lambda t: f"/api/v1/tickets/{t.number}/messages/"),
        ("post", lambda t: f"/api/v1/tickets/{t.number}/rating/"),
        ("get", lambda t: "/api/v1/customers/tb_wangxm/"),
    ],
)
def test_another_shops_ticket_or_customer_is_a_404(shops, method, path_of):
    a, b = shops
    ticket = open_ticket(a)
    body = {"priority": "P1", "body": "还在吗", "score": 1}

    response = getattr(client_for(b), method)(path_of(ticket), body, format="json")

    assert response.status_code == 404
    assert response.json()["status"] == 404
    ticket.refresh_from_db()
    assert ticket.priority == "P2"
    assert not Rating.objects.exists()
    assert not ticket.messages.exists()


def test_lists_only_show_the_callers_shop(shops):
    a, b = shops
    mine = open_ticket(a)
    open_ticket(b, customer={"buyer_id": "jd_other", "name": "别人"})

    tickets = client_for(a).get("/api/v1/tickets/").json()
    customers = client_for(a).get("/api/v1/customers/").json()

    assert [t["number"] for t in tickets["results"]] == [mine.number]
    assert [c["buyer_id"] for c in customers["results"]] == ["tb_wangxm"]


@pytest.mark.parametrize(
    ("scopes", "method", "path", "allowed"),
    [
        (["tickets:read"], "post", "/api/v1/tickets/", False),
        (["tickets:write"], "get", "/api/v1/tickets/", False),
        (["tickets:read"], "get", "/api/v1/tickets/", True),
        (["tickets:read"], "post", "/api/v1/customers/", False),
        (["customers:write"], "post", "/api/v1/customers/", True),
        (["customers:write"], "get", "/api/v1/customers/", False),
    ],
)
def test_scopes_are_enforced(shops, scopes, method, path, allowed):
    a, _b = shops
    data = PAYLOAD if path.endswith("tickets/") else PAYLOAD["customer"]

    response = getattr(client_for(a, scopes=scopes), method)(path, data, format="json")

    assert (response.status_code < 300) is allowed, response.content
    if not allowed:
        assert response.status_code == 403
        assert response.json()["type"].endswith("/permission_denied")


def test_rating_needs_its_own_scope(shops):
    a, _b = shops
    ticket = open_ticket(a)

    path = f"/api/v1/tickets/{ticket.number}/rating/"

    refused = post(client_for(a, scopes=["tickets:write"]), path, {"score": 5})
    rated = post(client_for(a, scopes=["ratings:write"]), path, {"score": 5})

    assert refused.status_code == 403
    assert rated.status_code == 201


def test_a_revoked_or_unknown_key_fails_and_last_use_is_noted(shops):
    a, _b = shops
    key, raw = api_key_create(name="k", shop=a, scopes=ALL)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/tickets/").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert key.hashed != raw
    assert raw not in json.dumps(list(ApiKey.objects.values()), default=str)

    api_key_revoke(key=key)
    revoked = client.get("/api/v1/tickets/")
    client.credentials(HTTP_AUTHORIZATION="Bearer csk_not-a-key")
    unknown = client.get("/api/v1/tickets/")
    anonymous = APIClient().get("/api/v1/tickets/")

    for response in (revoked, unknown, anonymous):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response["Content-Type"] == "application/problem+json"


def test_a_shop_key_cannot_read_the_staff_directory(shops):
    a, _b = shops
    assert client_for(a).get("/api/v1/staff/").status_code == 403


def test_staff_read_tickets_in_their_scope_with_a_personal_key(shops, org):
    a, _b = shops
    complaint = open_ticket(a)
    presales = open_ticket(a, type="consultation")
    client = client_for(staff=org.supervisor, scopes=["tickets:read"])

    numbers = [t["number"] for t in client.get("/api/v1/tickets/").json()["results"]]

    assert numbers == [presales.number]
    assert client.get(f"/api/v1/tickets/{complaint.number}/").status_code == 404
    assert post(client, "/api/v1/tickets/", PAYLOAD).status_code == 403


def test_the_shop_changes_priority_and_tags_and_closes(shops):
    a, _b = shops
    ticket = open_ticket(a)
    Tag.objects.create(name="加急")
    client = client_for(a)
    path = f"/api/v1/tickets/{ticket.number}/"

    changed = client.patch(path, {"priority": "P1", "tags": ["加急"]}, format="json")
    unknown_tag = client.patch(path, {"tags": ["不存在"]}, format="json")
    reopen = client.patch(path, {"status": "open"}, format="json")
    closed = client.patch(path, {"status": "closed", "reason": "买家撤销"}, format="json")
    again = client.patch(path, {"priority": "P4"}, format="json")

    assert changed.status_code == 200
    assert (changed.json()["priority"], changed.json()["tags"]) == ("P1", ["加急"])
    assert unknown_tag.status_code == 400
    assert "tags" in unknown_tag.json()["errors"]
    assert reopen.status_code == 400
    assert "status" in reopen.json()["errors"]
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert again.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("closed", "P4")


def test_messages_are_public_only_and_a_post_is_a_customer_message(shops, org):
    a, _b = shops
    ticket = open_ticket(a)
    from tickets import services

    services.ticket_claim(actor=org.agent_b, ticket=ticket)
    services.ticket_add_note(actor=org.agent_b, ticket=ticket, body="内部：核实物流")
    services.ticket_reply(actor=org.agent_b, ticket=ticket, body="您好，正在核实")
    client = client_for(a)
    path = f"/api/v1/tickets/{ticket.number}/messages/"

    posted = post(client, path, {"body": "请尽快处理"})
    listed = client.get(path).json()["results"]
    empty = post(client, path, {"body": ""})

    assert posted.status_code == 201
    assert posted.json()["kind"] == "customer"
    assert [m["kind"] for m in listed] == ["reply", "customer"]
    assert listed[0]["author"] == "郑六"
    assert "内部" not in json.dumps(listed, ensure_ascii=False)
    assert empty.status_code == 400
    assert "body" in empty.json()["errors"]
    assert ticket.messages.filter(kind=Message.Kind.CUSTOMER).count() == 1


def test_a_message_on_a_ticket_closed_for_good_is_a_409(shops, settings):
    a, _b = shops
    ticket = open_ticket(a)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=30)
    )

    response = post(client_for(a), f"/api/v1/tickets/{ticket.number}/messages/", {"body": "又坏了"})

    assert response.status_code == 409
    assert "open a new one" in response.json()["detail"] or "新" in response.json()["detail"]


def test_a_rating_is_recorded_and_revised(shops):
    a, _b = shops
    ticket = open_ticket(a)
    client = client_for(a)
    path = f"/api/v1/tickets/{ticket.number}/rating/"

    first = post(client, path, {"score": 2, "comment": "太慢"})
    revised = post(client, path, {"score": 4, "comment": "后来解决了"})
    bad = post(client, path, {"score": 6})

    assert (first.status_code, revised.status_code) == (201, 200)
    assert bad.status_code == 400
    assert "score" in bad.json()["errors"]
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment, rating.shop, rating.source) == (
        4,
        "后来解决了",
        a,
        "shop",
    )


def test_customers_are_upserted_and_read_by_buyer_id(shops):
    a, _b = shops
    client = client_for(a)

    created = post(client, "/api/v1/customers/", {"buyer_id": "tb_li", "name": "李丽"})
    again = post(client, "/api/v1/customers/", {"buyer_id": "tb_li", "phone": "139 1234 5678"})
    one = client.get("/api/v1/customers/tb_li/")

    assert (created.status_code, again.status_code, one.status_code) == (201, 200, 200)
    assert one.json()["name"] == "李丽"
    assert one.json()["phones"] == ["139****5678"]
    assert client.get("/api/v1/customers/nobody/").status_code == 404


def test_an_idempotent_post_replayed_makes_one_ticket(shops):
    a, _b = shops
    client = client_for(a)

    first = post(client, "/api/v1/tickets/", PAYLOAD, **{"Idempotency-Key": "order-1"})
    replay = post(client, "/api/v1/tickets/", PAYLOAD, **{"Idempotency-Key": "order-1"})
    other_body = post(
        client,
        "/api/v1/tickets/",
        {**PAYLOAD, "subject": "另一件事"},
        **{"Idempotency-Key": "order-1"},
    )

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert other_body.status_code == 422
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_idempotency_keys_belong_to_their_key_and_failures_are_not_kept(shops):
    a, b = shops
    headers = {"Idempotency-Key": "same"}

    invalid = post(client_for(a), "/api/v1/tickets/", {**PAYLOAD, "type": "x"}, **headers)
    retried = post(client_for(a), "/api/v1/tickets/", PAYLOAD, **headers)
    other_shop = post(client_for(b), "/api/v1/tickets/", PAYLOAD, **headers)
    bad_key = post(client_for(a), "/api/v1/tickets/", PAYLOAD, **{"Idempotency-Key": "é" * 3})

    assert invalid.status_code == 400
    assert retried.status_code == other_shop.status_code == 201
    assert retried.json()["number"] != other_shop.json()["number"]
    assert bad_key.status_code == 400
    assert "Idempotency-Key" in bad_key.json()["errors"]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"subject": ["list"], "type": 5, "customer": "x"}',
        json.dumps({**PAYLOAD, "subject": "长" * 100_000}).encode(),
        json.dumps({**PAYLOAD, "unknown": {"deep": [1, 2]}, "customer": {"buyer_id": ""}}).encode(),
        b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's recursion limit
        json.dumps({**PAYLOAD, "unknown": nested(32)}).encode(),  # one level too deep
        json.dumps(PAYLOAD).encode()[:-1] + b', "unknown": 1e400}',  # no finite float
        json.dumps(PAYLOAD).encode()[:-1] + b', "unknown": ' + b"9" * 5000 + b"}",
        json.dumps(PAYLOAD).encode()[:-1] + b', "unknown": NaN}',
    ],
)
def test_malformed_input_is_a_4xx_problem_never_a_500(shops, body):
    a, _b = shops

    response = client_for(a).generic(
        "POST", "/api/v1/tickets/", body, content_type="application/json"
    )

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not Ticket.objects.exists()


def test_json_nested_up_to_the_bound_is_read(shops):
    a, _b = shops
    body = json.dumps({**PAYLOAD, "unknown": nested(31)}).encode()  # 32 levels in all

    response = client_for(a).generic(
        "POST", "/api/v1/tickets/", body, content_type="application/json"
    )

    assert response.status_code == 201, response.content


def test_a_body_over_the_limit_is_413(shops, settings):
    a, _b = shops
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({**PAYLOAD, "description": "x" * 2000}).encode()

    response = client_for(a).generic(
        "POST", "/api/v1/tickets/", body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_wrong_content_type_bad_filters_and_cursors_are_4xx(shops):
    a, _b = shops
    client = client_for(a)

    form = client.post("/api/v1/tickets/", "a=b", content_type="application/x-www-form-urlencoded")
    filters = client.get("/api/v1/tickets/?status=nope&updated_since=yesterday")
    cursor = client.get("/api/v1/tickets/?cursor=cD1hYmM%3D")  # p=abc: no id
    unknown_path = client.get("/api/v1/nowhere/")

    assert form.status_code == 415
    assert filters.status_code == 400
    assert set(filters.json()["errors"]) == {
        "status",
        "updated_since",
    }
    assert cursor.status_code == 400
    assert unknown_path.status_code == 404
    assert unknown_path.json()["status"] == 404


def test_throttling_answers_429_with_retry_after(shops, settings):
    a, _b = shops
    cache.clear()
    settings.API_RATE = "3/min"
    client = client_for(a)

    codes = [client.get("/api/v1/tickets/").status_code for _ in range(4)]
    response = client.get("/api/v1/tickets/")

    assert codes[:3] == [200, 200, 200]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["status"] == 429


def test_list_filters_and_cursor_pages(shops):
    a, _b = shops
    tickets = [open_ticket(a, order_ref=f"TB{n}", type="consultation") for n in range(5)]
    client = client_for(a)

    page = client.get("/api/v1/tickets/?page_size=2").json()
    following = client.get(page["next"]).json()
    by_order = client.get("/api/v1/tickets/?order_ref=TB3").json()["results"]
    since = (timezone.now() + datetime.timedelta(minutes=1)).isoformat()
    none_since = client.get("/api/v1/tickets/", {"updated_since": since}).json()["results"]

    assert set(page) == {"next", "previous", "results"}
    numbers = [t["number"] for t in page["results"] + following["results"]]
    assert numbers == [t.number for t in reversed(tickets)][:4]
    assert [t["number"] for t in by_order] == [tickets[3].number]
    assert none_since == []


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    shops, django_assert_max_num_queries
):
    a, _b = shops
    for n in range(12):
        open_ticket(a, order_ref=f"TB{n}", customer={"buyer_id": f"tb_{n}", "name": f"顾客{n}"})
    client = client_for(a)
    client.get("/api/v1/tickets/?page_size=2")

    with django_assert_max_num_queries(5):
        small = client.get("/api/v1/tickets/?page_size=2")
    with django_assert_max_num_queries(5):
        large = client.get("/api/v1/tickets/?page_size=12")

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 12


def test_create_shop_key_and_webhook_secret_commands(db, capsys):
    call_command("create_shop_key", "new-shop", "--scopes", "tickets:read,tickets:write")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    call_command("shop_webhook_secret", "new-shop")
    secret = capsys.readouterr().out.strip().splitlines()[-1]

    key = ApiKey.objects.get(shop__code="new-shop")
    assert raw.startswith("csk_")
    assert key.prefix == raw[:12]
    assert key.scopes == ["tickets:read", "tickets:write"]
    assert len(secret) == 64
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/tickets/").status_code == 200
    with pytest.raises(CommandError, match="tickets:delete"):
        call_command("create_shop_key", "new-shop", "--scopes", "tickets:delete")


def test_the_docs_page_and_schema_are_served_locally(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    spec = schema.json()
    assert "/api/v1/tickets/" in spec["paths"]
    assert "/api/v1/shops/{code}/events/" in spec["paths"]
    assert spec["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/tickets/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert {"400", "401", "403", "409", "422", "429"} <= set(create["responses"])
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn" not in html.lower()
    assert "swagger-ui" in html


def test_the_director_makes_a_key_in_the_admin_sees_it_once_and_revokes_it(shops, login, org):
    a, _b = shops
    client = login(org.director)

    response = client.post(
        "/admin/tickets/apikey/add/",
        {"name": "天猫对接", "shop": a.pk, "staff": "", "scopes": ["tickets:read"]},
        follow=True,
    )

    key = ApiKey.objects.get(name="天猫对接")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(text.split("<code>")[1].split("</code>")[0] for text in shown if "<code>" in text)
    assert raw.startswith(key.prefix)
    assert key.hashed != raw
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/tickets/").status_code == 200
    assert raw not in client.get(f"/admin/tickets/apikey/{key.pk}/change/").content.decode()

    client.post(
        "/admin/tickets/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )

    assert api.get("/api/v1/tickets/").status_code == 401
    assert login(org.supervisor).get("/admin/tickets/apikey/").status_code == 403


def test_idempotency_records_are_forgotten_after_their_keeping_time(shops, settings):
    from django_celery_beat.models import PeriodicTask

    from tickets.services.integrations import idempotency_records_purge

    a, _b = shops
    client = client_for(a)
    post(client, "/api/v1/tickets/", PAYLOAD, **{"Idempotency-Key": "old"})
    settings.IDEMPOTENCY_KEEP_HOURS = 72

    kept = idempotency_records_purge(now=timezone.now() + datetime.timedelta(hours=71))
    removed = idempotency_records_purge(now=timezone.now() + datetime.timedelta(hours=73))
    again = post(client, "/api/v1/tickets/", PAYLOAD, **{"Idempotency-Key": "old"})

    assert (kept, removed) == (0, 1)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Ticket.objects.count() == 2
    assert PeriodicTask.objects.filter(task="tickets.idempotency_purge").exists()


@pytest.mark.parametrize("opened_at", ["1999-12-31T23:59:59+00:00", "1900-01-01T00:00:00Z"])
def test_opened_at_before_2000_is_a_field_error(shops, opened_at):
    a, _b = shops

    response = post(client_for(a), "/api/v1/tickets/", {**PAYLOAD, "opened_at": opened_at})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["opened_at"]
    assert not Ticket.objects.exists()


def test_opened_at_without_an_offset_is_beijing_time(shops):
    a, _b = shops

    response = post(
        client_for(a), "/api/v1/tickets/", {**PAYLOAD, "opened_at": "2026-09-30T17:30:00"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["opened_at"] == "2026-09-30T17:30:00+08:00"


def test_a_change_to_a_field_the_shop_may_not_change_is_refused_not_ignored(shops):
    a, _b = shops
    ticket = open_ticket(a)
    client = client_for(a)
    path = f"/api/v1/tickets/{ticket.number}/"

    subject = client.patch(path, {"subject": "改个标题", "priority": "P1"}, format="json")
    reason_alone = client.patch(path, {"reason": "买家撤销"}, format="json")

    assert subject.status_code == reason_alone.status_code == 400
    assert list(subject.json()["errors"]) == ["subject"]
    assert list(reason_alone.json()["errors"]) == ["reason"]
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, ticket.status) == ("退款纠纷", "P2", "new")


def test_a_bad_phone_is_an_error_on_the_field_that_was_sent(shops):
    a, _b = shops
    client = client_for(a)
    buyer = {"buyer_id": "tb_badphone", "name": "王", "phone": "12"}

    ticket = post(client, "/api/v1/tickets/", {**PAYLOAD, "customer": buyer})
    customer = post(client, "/api/v1/customers/", buyer)

    assert ticket.status_code == customer.status_code == 400
    assert list(ticket.json()["errors"]) == ["customer.phone"]
    assert list(customer.json()["errors"]) == ["phone"]
    assert not Customer.objects.exists()


def test_any_buyer_id_that_can_be_stored_can_be_read_back_by_its_url(shops):
    a, _b = shops
    client = client_for(a)
    odd = ["jd/王小明", "a b", "a?b#c", "x" * 100, "😀", "a.b"]

    created = [post(client, "/api/v1/customers/", {"buyer_id": buyer}) for buyer in odd]
    read = [client.get(f"/api/v1/customers/{quote(buyer, safe='')}/") for buyer in odd]

    assert [response.status_code for response in created] == [201] * len(odd)
    assert [(r.status_code, r.json()["buyer_id"]) for r in read] == [(200, b) for b in odd]


@pytest.mark.parametrize("buyer_id", [".", "..", "jd/../tb", "a\nb", "a\x7fb"])
def test_a_buyer_id_no_url_can_address_is_refused(shops, buyer_id):
    a, _b = shops

    response = post(client_for(a), "/api/v1/customers/", {"buyer_id": buyer_id})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["buyer_id"]
    assert not Customer.objects.exists()


def test_a_nul_in_the_buyer_id_of_the_url_is_a_404_not_a_500(shops):
    a, _b = shops

    response = client_for(a).get("/api/v1/customers/a%00b/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_updated_since_with_its_plus_sent_unencoded_keeps_its_offset(shops):
    a, _b = shops
    ticket = open_ticket(a)
    client = client_for(a)
    hour_ago = (timezone.localtime() - datetime.timedelta(hours=1)).replace(microsecond=0)
    in_an_hour = hour_ago + datetime.timedelta(hours=2)

    # As typed into a URL (and as in the docs): the "+" reaches the server as a space.
    before = client.get(f"/api/v1/tickets/?updated_since={hour_ago.isoformat()}")
    after = client.get(f"/api/v1/tickets/?updated_since={in_an_hour.isoformat()}")

    assert "+08:00" in hour_ago.isoformat()
    assert before.status_code == after.status_code == 200
    assert [row["number"] for row in before.json()["results"]] == [ticket.number]
    assert after.json()["results"] == []


def test_the_same_json_written_another_way_replays_the_first_answer(shops):
    a, _b = shops
    client = client_for(a)
    key = {"Idempotency-Key": "order-TB2026093012345-refund"}

    first = post(client, "/api/v1/tickets/", PAYLOAD, **key)
    rewritten = client.generic(
        "POST",
        "/api/v1/tickets/",
        json.dumps(dict(reversed(PAYLOAD.items())), indent=2, ensure_ascii=True),
        content_type="application/json",
        headers=key,
    )

    assert (first.status_code, rewritten.status_code) == (201, 201)
    assert rewritten["Idempotent-Replayed"] == "true"
    assert rewritten.json()["number"] == first.json()["number"]
    assert Ticket.objects.count() == 1
