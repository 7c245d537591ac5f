"""Outbound webhooks: made with the ticket change, signed, retried with backoff against a
real HTTP server on 127.0.0.1, dead-lettered and re-sent from the admin, swept when the
broker never got them, and delivered end to end by a real Celery worker."""

import datetime
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from csmanage.celery import app
from tests.concurrency import celery_worker
from tests.tickets.factories import CategoryFactory, CustomerFactory, ShopFactory, TicketFactory
from tickets import services
from tickets.models import Ticket, WebhookDelivery, WebhookSubscription
from tickets.services.webhooks import (
    Outcome,
    signature_problem,
    webhook_deliver,
    webhooks_enqueue,
    webhooks_sweep,
)
from tickets.tasks import webhook_deliver_task

DELIVERIES = reverse("admin:tickets_webhookdelivery_changelist")


class Receiver:
    """A shop's endpoint: answers with the next status of ``answers`` (200 once they run
    out) and keeps every request as received — headers and raw body."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/csmanage"

    def codes_answered(self, count: int) -> None:
        self.answers = [500] * count


@pytest.fixture
def receiver():
    endpoint = Receiver()
    thread = threading.Thread(target=endpoint.server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def signature_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a shop does on its side, over the raw bytes it received."""
    timestamp = headers["X-CSManage-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(f"sha256={expected.hexdigest()}", headers["X-CSManage-Signature"])


@pytest.fixture
def shop(db):
    return ShopFactory(code="tmall-flagship", name="天猫旗舰店")


@pytest.fixture
def subscription(shop, receiver):
    return WebhookSubscription.objects.create(shop=shop, url=receiver.url)


def shop_ticket(org, shop, *, buyer_id: str = "tb_wang_88", **fields) -> Ticket:
    customer = CustomerFactory(name="王小姐", accounts=[(shop, buyer_id)])
    return TicketFactory(
        team=org.presales1, shop=shop, customer=customer, order_ref="TB20261123001", **fields
    )


def only_delivery() -> WebhookDelivery:
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


# ── Delivery, retries, signature ────────────────────────────────────────────────────────


def test_a_failing_endpoint_gets_retried_and_the_signature_verifies_on_its_side(
    org, shop, subscription, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    receiver.codes_answered(2)
    with django_capture_on_commit_callbacks(execute=False):
        ticket = shop_ticket(org, shop)
    delivery = only_delivery()

    first = webhook_deliver(delivery.pk)
    delivery.refresh_from_db()
    after_first = (delivery.status, delivery.attempts, delivery.last_response_code)
    second = webhook_deliver(delivery.pk)
    third = webhook_deliver(delivery.pk)

    assert [(a.outcome, a.response_code) for a in (first, second, third)] == [
        (Outcome.RETRYING, 500),
        (Outcome.RETRYING, 500),
        (Outcome.DELIVERED, 200),
    ]
    assert after_first == ("retrying", 1, 500)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "delivered",
        3,
        200,
    )
    assert delivery.last_error == ""
    assert delivery.next_attempt_at is None
    assert delivery.delivered_at is not None
    assert len(receiver.requests) == 3
    for headers, body in receiver.requests:
        assert signature_verifies(shop.webhook_secret, headers, body)
        assert signature_problem(
            shop.webhook_secret,
            headers["X-CSManage-Timestamp"],
            headers["X-CSManage-Signature"],
            body,
        ) is None  # fmt: skip
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == "CSManage-Webhooks/1"
        assert headers["X-CSManage-Event"] == "ticket.created"
        assert abs(int(headers["X-CSManage-Timestamp"]) - time.time()) < 60
    bodies = {body for _headers, body in receiver.requests}
    assert len(bodies) == 1  # the same event each time, byte for byte
    sent = json.loads(bodies.pop())
    assert sent == {
        "id": str(delivery.event_id),
        "type": "ticket.created",
        "occurred_at": sent["occurred_at"],
        "shop": "tmall-flagship",
        "ticket": {
            "number": ticket.number,
            "status": "new",
            "type": "logistics",
            "priority": "P3",
            "channel": "chat",
            "subject": ticket.subject,
            "order_ref": "TB20261123001",
            "customer": {"buyer_id": "tb_wang_88"},
            "first_response_due": sent["ticket"]["first_response_due"],
            "resolution_due": sent["ticket"]["resolution_due"],
            "sla_state": ticket.sla_state,
            "updated_at": sent["ticket"]["updated_at"],
        },
        "data": {},
    }
    occurred_at = datetime.datetime.fromisoformat(sent["occurred_at"])
    assert occurred_at.utcoffset() == datetime.timedelta(hours=8)
    assert abs(timezone.now() - occurred_at) < datetime.timedelta(minutes=1)


def test_the_body_is_compact_utf8_json_not_escaped(
    org, shop, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop, subject="快递三天没动")

    webhook_deliver(only_delivery().pk)

    (_headers, body) = receiver.requests[0]
    assert "快递三天没动".encode() in body
    assert b"\\u" not in body
    assert b": " not in body
    assert b", " not in body


def test_retries_back_off_exponentially_and_the_wait_is_capped(
    org, shop, subscription, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 20
    receiver.codes_answered(19)
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()

    waits = []
    for _attempt in range(12):
        before = timezone.now()
        attempt = webhook_deliver(delivery.pk)
        delivery.refresh_from_db()
        assert delivery.next_attempt_at - before >= datetime.timedelta(seconds=attempt.retry_in)
        waits.append(attempt.retry_in)
        # not due yet: a second call now does nothing
        assert webhook_deliver(delivery.pk).outcome == Outcome.SKIPPED
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600, 21600]
    assert len(receiver.requests) == 12


def test_a_network_error_is_logged_and_retried(org, shop, django_capture_on_commit_callbacks):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    WebhookSubscription.objects.create(shop=shop, url=f"http://127.0.0.1:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()

    attempt = webhook_deliver(delivery.pk)

    delivery.refresh_from_db()
    assert (attempt.outcome, attempt.response_code) == (Outcome.RETRYING, None)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "retrying",
        1,
        None,
    )
    assert delivery.last_error.startswith("ConnectError")


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    org, shop, subscription, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [302]
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)

    attempt = webhook_deliver(only_delivery().pk)

    assert (attempt.outcome, attempt.response_code) == (Outcome.RETRYING, 302)
    assert len(receiver.requests) == 1


def test_delivering_a_delivered_event_again_sends_nothing(
    org, shop, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()

    first = webhook_deliver(delivery.pk)
    second = webhook_deliver(delivery.pk)
    by_task = webhook_deliver_task(delivery.pk)

    assert (first.outcome, second.outcome) == (Outcome.DELIVERED, Outcome.SKIPPED)
    assert by_task == {"outcome": "skipped", "response_code": None}
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_the_task_comes_back_after_a_failure_only(
    org, shop, subscription, receiver, django_capture_on_commit_callbacks
):
    receiver.codes_answered(1)
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()

    with django_capture_on_commit_callbacks(execute=False) as after_failure:
        failed = webhook_deliver_task(delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False) as after_success:
        succeeded = webhook_deliver_task(delivery.pk)

    assert failed == {"outcome": "retrying", "response_code": 500}
    assert succeeded == {"outcome": "delivered", "response_code": 200}
    assert (len(after_failure), len(after_success)) == (1, 0)


# ── Dead letters and re-sending from the admin ──────────────────────────────────────────


def test_after_the_last_attempt_the_delivery_is_dead_and_the_admin_resends_it(
    org, shop, subscription, receiver, login, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    receiver.codes_answered(3)
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()

    outcomes = [webhook_deliver(delivery.pk).outcome for _ in range(4)]

    assert outcomes == [Outcome.RETRYING, Outcome.RETRYING, Outcome.DEAD, Outcome.SKIPPED]
    assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("dead", 3, 500)
    assert delivery.next_attempt_at is None
    assert webhooks_sweep() == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}

    client = login(org.director)
    listed = client.get(DELIVERIES, {"status": "dead"})
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = client.post(DELIVERIES, {"action": "resend", "_selected_action": [delivery.pk]})

    assert list(listed.context["cl"].result_list) == [delivery]
    assert response.status_code == 302
    assert len(enqueued) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 0, None)
    assert webhook_deliver(delivery.pk).outcome == Outcome.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "delivered",
        1,
        200,
    )
    assert len(receiver.requests) == 4
    assert receiver.requests[3][1] == receiver.requests[0][1]  # the same event id and body


def test_the_delivery_log_is_read_only_and_only_the_director_resends(
    org, shop, subscription, receiver, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()
    change_url = reverse("admin:tickets_webhookdelivery_change", args=[delivery.pk])

    director = login(org.director)
    page = director.get(change_url)
    saved = director.post(change_url, {"status": "delivered"})
    actions = dict(director.get(DELIVERIES).context["action_form"].fields["action"].choices)
    manager = login(org.manager)
    refused = manager.post(DELIVERIES, {"action": "resend", "_selected_action": [delivery.pk]})

    assert page.status_code == 200
    assert saved.status_code == 403
    assert "resend" in actions
    assert refused.status_code == 403
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert receiver.requests == []


def test_the_director_lists_subscriptions_and_inbound_events(org, shop, subscription, login):
    client = login(org.director)

    subscriptions = client.get(reverse("admin:tickets_webhooksubscription_changelist"))
    inbound = client.get(reverse("admin:tickets_inboundevent_changelist"))
    added = client.post(
        reverse("admin:tickets_webhooksubscription_add"),
        {
            "shop": shop.pk,
            "url": "https://erp.example.cn/hooks",
            "events": ["ticket.resolved", "ticket.closed"],
            "is_active": "on",
        },
    )

    assert subscriptions.status_code == 200
    assert list(subscriptions.context["cl"].result_list) == [subscription]
    assert inbound.status_code == 200
    assert added.status_code == 302
    assert WebhookSubscription.objects.get(url="https://erp.example.cn/hooks").events == [
        "ticket.resolved",
        "ticket.closed",
    ]


# ── Events from the ticket lifecycle ────────────────────────────────────────────────────


def events_of(subscription: WebhookSubscription) -> list[tuple[str, dict]]:
    return [
        (event, payload["data"])
        for event, payload in subscription.deliveries.order_by("pk").values_list("event", "payload")
    ]


def test_the_lifecycle_tells_the_shops_subscriptions_what_they_asked_for(
    org, shop, receiver, django_capture_on_commit_callbacks
):
    everything = WebhookSubscription.objects.create(shop=shop, url=receiver.url)
    endings = WebhookSubscription.objects.create(
        shop=shop, url=f"{receiver.url}/endings", events=["ticket.resolved", "ticket.closed"]
    )
    paused = WebhookSubscription.objects.create(
        shop=shop, url=f"{receiver.url}/paused", is_active=False
    )
    other_shop = WebhookSubscription.objects.create(
        shop=ShopFactory(code="jd-store"), url=f"{receiver.url}/jd"
    )

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        ticket = shop_ticket(org, shop, category=CategoryFactory(name="物流"))
        reply = services.ticket_reply(
            actor=org.agent,
            ticket=ticket,
            body="您好，快递已催促，请耐心等待。",
            then_status="pending_customer",
        )
        services.ticket_add_note(actor=org.agent, ticket=ticket, body="已联系顺丰。")
        services.ticket_resolve(actor=org.agent, ticket=ticket, resolution_summary="已签收。")
        services.ticket_close(actor=org.agent, ticket=ticket)

    assert events_of(everything) == [
        ("ticket.created", {}),
        ("ticket.status_changed", {"from": "new", "to": "open"}),
        ("ticket.status_changed", {"from": "open", "to": "pending_customer"}),
        ("ticket.replied", {"message": reply.pk, "body": "您好，快递已催促，请耐心等待。"}),
        ("ticket.status_changed", {"from": "pending_customer", "to": "resolved"}),
        ("ticket.resolved", {"resolution_summary": "已签收。"}),
        ("ticket.status_changed", {"from": "resolved", "to": "closed"}),
        ("ticket.closed", {"reason": ""}),
    ]
    assert events_of(endings) == [
        ("ticket.resolved", {"resolution_summary": "已签收。"}),
        ("ticket.closed", {"reason": ""}),
    ]
    assert events_of(paused) == []
    assert events_of(other_shop) == []
    assert len(enqueued) == 5  # one enqueue per change, after its commit
    closed = everything.deliveries.get(event="ticket.closed").payload
    assert closed["ticket"]["status"] == "closed"
    assert closed["ticket"]["number"] == ticket.number
    assert receiver.requests == []  # nothing is sent before commit


def test_a_ticket_without_a_shop_makes_no_delivery_and_costs_no_query(
    org, shop, subscription, django_assert_num_queries
):
    ticket = TicketFactory(team=org.presales1)
    quiet_shop = ShopFactory(code="douyin-store")
    quiet_ticket = TicketFactory(team=org.presales1, shop=quiet_shop)

    with django_assert_num_queries(0):
        none = webhooks_enqueue(ticket, "ticket.created")
    with django_assert_num_queries(1):
        unheard = webhooks_enqueue(quiet_ticket, "ticket.created")
    services.ticket_reply(actor=org.agent, ticket=ticket, body="您好。")

    assert (none, unheard) == ([], [])
    assert WebhookDelivery.objects.count() == 0


# ── The sweep: what the broker never got ────────────────────────────────────────────────


def test_the_sweep_sends_a_delivery_whose_task_never_reached_the_broker(
    org, shop, subscription, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 3600
    receiver.codes_answered(1)  # the oldest is sent first, and fails
    with django_capture_on_commit_callbacks(execute=False) as never_run:
        failing = shop_ticket(org, shop, buyer_id="tb_li")
        shop_ticket(org, shop, buyer_id="tb_zhao")

    first = webhooks_sweep()
    second = webhooks_sweep()

    assert len(never_run) == 2
    assert first == {"delivered": 1, "retrying": 1, "dead": 0, "skipped": 0}
    assert second == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
    statuses = dict(WebhookDelivery.objects.values_list("ticket__number", "status"))
    assert statuses[failing.number] == "retrying"
    assert sorted(statuses.values()) == ["delivered", "retrying"]
    assert len(receiver.requests) == 2


# ── Concurrency and a real worker (PostgreSQL/Redis in CI) ──────────────────────────────


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks")
@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_by_another_worker_is_skipped(org, shop, receiver):
    ticket = shop_ticket(org, shop)  # committed, and heard by nobody yet: nothing enqueued
    delivery = WebhookDelivery.objects.create(
        subscription=WebhookSubscription.objects.create(shop=shop, url=receiver.url),
        event_id=uuid.uuid4(),
        event="ticket.created",
        ticket=ticket,
        payload={"type": "ticket.created"},
    )
    outcome = {}

    def other_worker() -> None:
        try:
            outcome["attempt"] = webhook_deliver(delivery.pk)
        finally:
            connection.close()

    with transaction.atomic():
        WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(timeout=30)

    assert outcome["attempt"].outcome == Outcome.SKIPPED
    assert receiver.requests == []


@pytest.fixture
def webhook_worker():
    """A worker of our own (one process) with deliveries routed to the queue it alone
    consumes, and retries a fifth of a second apart."""
    routes = app.conf.task_routes
    with celery_worker("hooks", concurrency=1, env={"WEBHOOK_RETRY_BASE_SECONDS": "0.2"}) as queue:
        app.conf.update(task_routes={"tickets.webhook_deliver": {"queue": queue}})
        try:
            yield queue
        finally:
            app.conf.update(task_routes=routes)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_after_two_failures_with_a_verifiable_signature(
    org, shop, subscription, receiver, webhook_worker
):
    receiver.codes_answered(2)

    ticket = shop_ticket(org, shop)  # committed: the delivery is enqueued after commit
    delivery = only_delivery()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status not in ("pending", "retrying"):
            break
        time.sleep(0.2)

    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "delivered",
        3,
        200,
    )
    assert delivery.ticket_id == ticket.pk
    assert len(receiver.requests) == 3
    assert all(
        signature_verifies(shop.webhook_secret, headers, body)
        for headers, body in receiver.requests
    )
    assert json.loads(receiver.requests[-1][1])["id"] == str(delivery.event_id)
