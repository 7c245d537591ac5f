"""Outbound webhooks: made with the ticket change, signed, retried with backoff against a
real HTTP server on 127.0.0.1, dead-lettered and re-sent from the admin, swept when the
broker never got them, and delivered end to end by a real Celery worker."""

import contextlib
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from csmanage.celery import app
from tests.concurrency import ROOT, celery_worker, database_url
from tests.tickets.factories import CategoryFactory, CustomerFactory, ShopFactory, TicketFactory
from tickets import services
from tickets.models import Tag, Ticket, WebhookDelivery, WebhookSubscription
from tickets.services.webhooks import (
    Outcome,
    address_is_internal,
    signature_problem,
    webhook_deliver,
    webhook_resend,
    webhooks_enqueue,
    webhooks_sweep,
)
from tickets.tasks import webhook_deliver_task

DELIVERIES = reverse("admin:tickets_webhookdelivery_changelist")


class Receiver:
    """A shop's endpoint: answers with the next status of ``answers`` (200 once they run
    out) and keeps every request as received — headers and raw body. While ``answering``
    is clear it keeps each request waiting for its answer (a slow shop)."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.answering = threading.Event()
        self.answering.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                receiver.answering.wait(timeout=60)
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

    def wait_for_requests(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, self.requests


@pytest.fixture
def private_urls_allowed(settings):
    """Deliver to internal addresses: the shop's endpoint here is on 127.0.0.1."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def receiver(private_urls_allowed):
    endpoint = Receiver()
    thread = threading.Thread(target=endpoint.server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    endpoint.answering.set()
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


@pytest.mark.usefixtures("private_urls_allowed")
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


# ── Where we send: no server-side request forgery ───────────────────────────────────────

PUBLIC = "47.96.10.20"  # an address on the public internet (a shop's ERP in a cloud)
SUBSCRIPTIONS = reverse("admin:tickets_webhooksubscription_add")


@pytest.fixture
def dns(monkeypatch):
    """The names the shops' DNS answers for (name → address); any other name or address is
    looked up as usual. DNS is outside the machine: this stands in for it."""
    answers: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            address = answers[name]
            if ":" in address:
                return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def subscription_added(client, shop, url: str):
    return client.post(
        SUBSCRIPTIONS, {"shop": shop.pk, "url": url, "events": [], "is_active": "on"}
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://erp.example.cn/hooks",
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "http://10.0.0.8/hooks",
        "http://192.168.1.20/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/hooks",
        "http://224.0.0.1/hooks",
        "http://[::1]/hooks",
        "http://[fd00::8]/hooks",
        "http://[::ffff:10.0.0.8]/hooks",
        "https://erp.intranet.example.cn/hooks",  # a name that resolves to 10.1.2.3
    ],
)
def test_the_admin_refuses_a_url_that_is_no_http_or_points_inside(org, shop, login, dns, url):
    dns["erp.intranet.example.cn"] = "10.1.2.3"

    response = subscription_added(login(org.director), shop, url)

    assert response.status_code == 200  # the form again, with its error
    assert list(response.context["adminform"].form.errors) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_the_admin_takes_a_public_url_and_an_internal_one_where_allowed(
    org, shop, login, dns, settings
):
    dns["erp.example.cn"] = PUBLIC
    client = login(org.director)

    public = subscription_added(client, shop, "https://erp.example.cn/hooks")
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    on_premise = subscription_added(client, shop, "http://10.0.0.8:8080/hooks")

    assert (public.status_code, on_premise.status_code) == (302, 302)
    assert sorted(WebhookSubscription.objects.values_list("url", flat=True)) == [
        "http://10.0.0.8:8080/hooks",
        "https://erp.example.cn/hooks",
    ]


def test_a_name_that_now_resolves_inside_is_refused_when_sent_and_counted_as_a_failure(
    org, shop, dns, settings, django_capture_on_commit_callbacks
):
    # Saved while erp.example.cn was public; its DNS now answers with our own loopback,
    # where something listens.
    endpoint = Receiver()
    threading.Thread(target=endpoint.server.serve_forever, daemon=True).start()
    port = endpoint.server.server_address[1]
    dns["erp.example.cn"] = "127.0.0.1"
    WebhookSubscription.objects.create(shop=shop, url=f"http://erp.example.cn:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()

    try:
        attempt = webhook_deliver(delivery.pk)
    finally:
        endpoint.server.shutdown()
        endpoint.server.server_close()

    assert (attempt.outcome, attempt.response_code) == (Outcome.RETRYING, None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "retrying",
        1,
        None,
    )
    assert delivery.last_error.startswith("已拒绝：erp.example.cn 解析为 127.0.0.1，")
    assert endpoint.requests == []


def test_a_delivery_goes_to_the_address_that_was_checked(
    org, shop, receiver, dns, django_capture_on_commit_callbacks
):
    # erp.example.cn exists only in the shop's DNS: the request reaching the receiver went
    # to the address checked, not to a second lookup's answer.
    port = receiver.server.server_address[1]
    dns["erp.example.cn"] = "127.0.0.1"
    WebhookSubscription.objects.create(shop=shop, url=f"http://erp.example.cn:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)

    attempt = webhook_deliver(only_delivery().pk)

    assert (attempt.outcome, attempt.response_code) == (Outcome.DELIVERED, 200)
    (headers, _body) = receiver.requests[0]
    assert headers["Host"] == f"erp.example.cn:{port}"


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("100.64.0.1", True),  # carrier-grade NAT
        ("169.254.169.254", True),
        ("0.0.0.0", True),  # noqa: S104 - an address checked, not bound
        ("255.255.255.255", True),
        ("239.1.1.1", True),
        ("::", True),
        ("fe80::1", True),
        ("ff02::1", True),
        ("::ffff:127.0.0.1", True),
        ("64:ff9b::a01:203", True),  # NAT64 of 10.1.2.3
        ("2002:a01:203::1", True),  # 6to4 of 10.1.2.3
    ],
)
def test_what_counts_as_an_internal_address(address, internal):
    assert address_is_internal(ipaddress.ip_address(address)) is internal


# ── Concurrency and a real worker (PostgreSQL/Redis in CI) ──────────────────────────────


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no row locks")
@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_by_another_worker_is_skipped(org, shop, receiver):
    ticket = shop_ticket(org, shop)  # committed, and heard by nobody yet: nothing enqueued
    delivery = created_delivery(shop, ticket, receiver.url)
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


@contextlib.contextmanager
def sent_slowly(delivery: WebhookDelivery, receiver) -> Iterator[dict]:
    """Another worker (a thread) sends the delivery to a receiver that takes its time: the
    block runs once the request has arrived and before it is answered; the attempt is in
    the yielded dict's "attempt" afterwards."""
    receiver.answering.clear()
    outcome = {}

    def worker() -> None:
        try:
            outcome["attempt"] = webhook_deliver(delivery.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        receiver.wait_for_requests(1)
        yield outcome
    finally:
        receiver.answering.set()
        thread.join(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_no_row_is_locked_while_a_delivery_is_in_flight_and_no_one_else_sends_it(
    org, shop, receiver
):
    ticket = shop_ticket(org, shop)  # committed, and heard by nobody yet: nothing enqueued
    delivery = created_delivery(shop, ticket, receiver.url)
    with sent_slowly(delivery, receiver) as outcome:
        # Meanwhile the database takes writes (SQLite: any at all), the row included…
        with transaction.atomic():
            WebhookDelivery.objects.select_for_update(nowait=True).get(pk=delivery.pk)
            Tag.objects.create(name="加急")
        # …and the delivery is another worker's: nobody sends it twice.
        second = webhook_deliver(delivery.pk)
        swept = webhooks_sweep()

    assert second.outcome == Outcome.SKIPPED
    assert swept == {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0}
    assert (outcome["attempt"].outcome, outcome["attempt"].response_code) == (
        Outcome.DELIVERED,
        200,
    )
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 1, "")


def created_delivery(shop, ticket, url: str) -> WebhookDelivery:
    """A pending "ticket.created" delivery to ``url``, outside the outbox's own path."""
    return WebhookDelivery.objects.create(
        subscription=WebhookSubscription.objects.create(shop=shop, url=url),
        event_id=uuid.uuid4(),
        event="ticket.created",
        ticket=ticket,
        payload={"type": "ticket.created"},
    )


@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_worker_was_killed_mid_send_is_sent_by_the_sweep_after_its_lease(
    org, shop, receiver
):
    ticket = shop_ticket(org, shop)
    delivery = created_delivery(shop, ticket, receiver.url)
    receiver.answering.clear()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from tickets.services.webhooks import "
            f"webhook_deliver; webhook_deliver({delivery.pk})",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "csmanage.settings",
            "DATABASE_URL": database_url(),
            "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        },
    )
    try:
        receiver.wait_for_requests(1)
        worker.kill()  # mid-send: no outcome will ever be written
        worker.wait(timeout=30)
    finally:
        worker.kill()
        receiver.answering.set()
    delivery.refresh_from_db()
    claimed = (delivery.status, delivery.attempts, delivery.last_response_code)
    during_lease = (webhook_deliver(delivery.pk).outcome, webhooks_sweep())
    # The lease runs out (moved into the past rather than waited for).
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    after_lease = webhooks_sweep()

    assert claimed == ("pending", 1, None)
    assert delivery.next_attempt_at > timezone.now()
    assert during_lease == (
        Outcome.SKIPPED,
        {"delivered": 0, "retrying": 0, "dead": 0, "skipped": 0},
    )
    assert after_lease == {"delivered": 1, "retrying": 0, "dead": 0, "skipped": 0}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        "delivered",
        2,
        200,
    )
    assert [headers["X-CSManage-Delivery"] for headers, _body in receiver.requests] == [
        str(delivery.event_id)
    ] * 2


def test_an_interrupted_last_attempt_makes_the_delivery_dead_without_sending(
    org, shop, subscription, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    with django_capture_on_commit_callbacks(execute=False):
        shop_ticket(org, shop)
    delivery = only_delivery()
    # What a worker killed during the third attempt leaves, once its lease is over.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="retrying", attempts=3, next_attempt_at=timezone.now()
    )

    attempt = webhook_deliver(delivery.pk)

    assert attempt.outcome == Outcome.DEAD
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 3, None)
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_delivery_resent_from_the_admin_while_in_flight_drops_that_attempts_outcome(
    org, shop, receiver
):
    ticket = shop_ticket(org, shop)
    delivery = created_delivery(shop, ticket, receiver.url)
    with sent_slowly(delivery, receiver) as outcome:
        queued = webhook_resend([delivery])
    delivery.refresh_from_db()
    after_resend = (delivery.status, delivery.attempts, delivery.next_attempt_at)
    again = webhook_deliver(delivery.pk)

    assert queued == 1
    assert (outcome["attempt"].outcome, outcome["attempt"].response_code) == (
        Outcome.SKIPPED,
        200,
    )
    assert after_resend == ("pending", 0, None)
    assert again.outcome == Outcome.DELIVERED
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(receiver.requests) == 2


@pytest.fixture
def webhook_worker():
    """A worker of our own (one process) with deliveries routed to the queue it alone
    consumes, and retries a fifth of a second apart."""
    routes = app.conf.task_routes
    env = {"WEBHOOK_RETRY_BASE_SECONDS": "0.2", "WEBHOOK_ALLOW_PRIVATE_URLS": "true"}
    with celery_worker("hooks", concurrency=1, env=env) as queue:
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
