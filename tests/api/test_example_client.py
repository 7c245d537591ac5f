"""examples/shop_client.py, run against the live API as a shop integrator would run it."""

import datetime
import importlib.util
import json
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tickets.models import InboundEvent, Message, Ticket
from tickets.services import ticket_claim
from tickets.services.webhooks import signature_for

pytestmark = pytest.mark.usefixtures("unthrottled")


def _load_example():
    path = Path(settings.BASE_DIR) / "examples" / "shop_client.py"
    spec = importlib.util.spec_from_file_location("shop_client", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shop_client = _load_example()


@pytest.fixture
def client_for(live_server, api_world):
    """The example's client with the shop's key; ``sleep`` stands in for the wait between
    polls."""
    opened = []

    def _client(sleep=lambda seconds: None):
        client = shop_client.ShopClient(live_server.url, api_world.shop_secret, sleep=sleep)
        opened.append(client)
        return client

    yield _client
    for client in opened:
        client.close()


def test_example_opens_a_ticket_once_per_idempotency_key(client_for, api_world):
    client = client_for()
    fields = {
        "subject": "订单 E20259999 少发一件",
        "type": Ticket.Type.AFTERSALES,
        "customer": {"buyer_id": "tb_xiaoming", "name": "小明"},
        "order_ref": "E20259999",
        "idempotency_key": "order-E20259999-missing-item",
    }

    first = client.create_ticket(**fields)
    again = client.create_ticket(**fields)

    assert again == first
    assert first["status"] == Ticket.Status.NEW
    assert first["customer"] == {"buyer_id": "tb_xiaoming", "name": "小明"}
    ticket = Ticket.objects.get(order_ref="E20259999")
    assert (ticket.number, ticket.shop, ticket.team) == (
        first["number"],
        api_world.shop,
        api_world.org.presales1,
    )


def test_example_polls_until_an_agent_claims_the_ticket(client_for, api_world):
    ticket = api_world.tickets[2]
    waits = []

    def agent_claims_meanwhile(seconds):
        waits.append(seconds)
        if len(waits) == 2:
            ticket_claim(actor=api_world.org.agent, ticket=ticket)

    client = client_for(sleep=agent_claims_meanwhile)

    seen = client.wait_for_status_change(ticket.number, status="new", polls=10, interval=3)

    assert seen["status"] == Ticket.Status.OPEN
    assert waits == [3, 3]


def test_example_stops_polling_after_the_last_poll(client_for, api_world):
    waits = []
    client = client_for(sleep=waits.append)

    seen = client.wait_for_status_change(
        api_world.tickets[3].number, status="new", polls=3, interval=0.5
    )

    assert seen["status"] == Ticket.Status.NEW
    assert waits == [0.5, 0.5]


def test_example_lists_tickets_updated_since_following_the_cursor(client_for, api_world):
    since = timezone.now()
    time.sleep(0.01)
    org = api_world.org
    for ticket in api_world.tickets[2:5]:  # two in 售前一组, the complaint in 投诉组
        ticket_claim(
            actor=org.agent if ticket.team == org.presales1 else org.agent_b, ticket=ticket
        )
    newest_first = [ticket.number for ticket in reversed(api_world.tickets[2:5])]

    rows = list(client_for().tickets_updated_since(since, page_size=2))

    assert [row["number"] for row in rows] == newest_first
    assert [row["status"] for row in rows] == [Ticket.Status.OPEN] * 3


def test_example_reports_problem_details(client_for):
    with pytest.raises(shop_client.ApiError) as refused:
        client_for().create_ticket(subject="", type="nonsense", customer={})

    assert refused.value.status == 400
    assert set(refused.value.problem["errors"]) == {"subject", "type", "customer.buyer_id"}


def test_example_pushes_a_signed_event_once(client_for, api_world):
    client = client_for()
    event = {
        "event_id": "tmall-evt-20251111-0001",
        "event_type": "refund_dispute.opened",
        "occurred_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
        "order_ref": "E20258888",
        "buyer": {"buyer_id": "tb_lihua", "name": "李华"},
        "data": {"reason": "商品与描述不符，申请退款"},
    }
    secret = api_world.shop.webhook_secret

    first = client.push_event(api_world.shop.code, secret, event)
    replay = client.push_event(api_world.shop.code, secret, event)

    ticket = Ticket.objects.get(number=first["ticket"])
    assert (ticket.type, ticket.priority, ticket.order_ref, ticket.team) == (
        Ticket.Type.COMPLAINT,
        Ticket.Priority.P2,
        "E20258888",
        api_world.org.complaints,
    )
    assert ticket.description == "商品与描述不符，申请退款"
    assert (first["duplicate"], replay["duplicate"]) == (False, True)
    assert replay["ticket"] == first["ticket"]
    assert InboundEvent.objects.filter(event_id="tmall-evt-20251111-0001").count() == 1


def test_example_event_with_a_wrong_secret_is_refused(client_for, api_world):
    event = {
        "event_id": "tmall-evt-forged",
        "event_type": "buyer.message",
        "occurred_at": timezone.now().isoformat(),
        "order_ref": api_world.tickets[0].order_ref,
    }

    with pytest.raises(shop_client.ApiError) as refused:
        client_for().push_event(api_world.shop.code, "not-the-secret", event)

    assert refused.value.status == 401
    assert refused.value.problem["type"].endswith("/signature_signature")
    assert not InboundEvent.objects.exists()


def test_sign_matches_the_server_recipe():
    body = json.dumps({"event_id": "e1", "买家": "小明"}, ensure_ascii=False).encode()

    headers = shop_client.sign("whsec_test", body, timestamp=1_762_819_200)

    assert headers == {
        "X-CSManage-Timestamp": "1762819200",
        "X-CSManage-Signature": signature_for("whsec_test", "1762819200", body),
    }


def test_verify_signature_accepts_our_webhooks_and_refuses_tampering():
    body = b'{"type":"ticket.replied","ticket":{"number":"CS-202511-000001"}}'
    now = time.time()
    stamp = str(int(now))
    signature = signature_for("whsec_test", stamp, body)
    verify = shop_client.verify_signature

    assert verify("whsec_test", stamp, body, signature, now=now) is True
    assert verify("whsec_test", stamp, body + b" ", signature, now=now) is False
    assert verify("another-secret", stamp, body, signature, now=now) is False
    assert verify("whsec_test", stamp, body, signature, now=now + 301) is False
    assert verify("whsec_test", stamp, body, signature, tolerance=600, now=now + 301) is True
    assert verify("whsec_test", "yesterday", body, signature, now=now) is False
    assert verify("whsec_test", None, body, signature, now=now) is False
    assert verify("whsec_test", stamp, body, None, now=now) is False


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        ("9" * 400, None),  # overflows the float subtraction
        ("١٧٦٢٨١٩٢٠٠", None),  # Arabic-Indic digits: int() takes them
        ("1_762_819_200", None),
        (None, "sha256=é"),  # compare_digest() raises TypeError on a non-ASCII str
    ],
)
def test_verify_signature_refuses_odd_headers_instead_of_raising(timestamp, signature):
    body = b'{"type":"ticket.replied"}'
    now = 1_762_819_200
    stamp = timestamp or str(now)

    verified = shop_client.verify_signature(
        "whsec_test", stamp, body, signature or signature_for("whsec_test", stamp, body), now=now
    )

    assert verified is False


def test_example_walk_through_runs(live_server, api_world, monkeypatch, capsys):
    monkeypatch.setenv("CSMANAGE_URL", live_server.url)
    monkeypatch.setenv("CSMANAGE_KEY", api_world.shop_secret)
    monkeypatch.setenv("CSMANAGE_SHOP", api_world.shop.code)
    monkeypatch.setenv("CSMANAGE_WEBHOOK_SECRET", api_world.shop.webhook_secret)

    assert shop_client.main(["--polls", "1", "--buyer", "tb_wangfang"]) == 0

    printed = capsys.readouterr().out.splitlines()
    ticket = Ticket.objects.get(
        customer__accounts__buyer_id="tb_wangfang", order_ref__startswith="DEMO"
    )
    assert printed[0] == f"opened {ticket.number} (new, SLA {ticket.sla_state})"
    assert printed[1] == f"{ticket.number} is new"
    event = InboundEvent.objects.get(event_id=f"demo-{ticket.order_ref}-message")
    assert event.ticket == ticket
    assert printed[-1] == f"event {event.event_id}: {event.outcome}"
    assert Message.objects.filter(ticket=ticket, body="请问什么时候能到？").exists()
