"""A shop with tickets and customers, its key, and a supervisor's personal key: what the
API tests run against (usually through ``live_server``, so on a flushed database)."""

from importlib import import_module

import pytest
from django.apps import apps

from tests.tickets.factories import ShopFactory
from tickets.models import ApiKey, SlaPolicy, Tag, Ticket
from tickets.services import ticket_customer_message
from tickets.services.integrations import api_key_create, shop_ticket_change, shop_ticket_open

SHOP_CODE = "yangguang-tmall"


@pytest.fixture
def seeded_policies(db):
    """The migrations' default calendars and SLA policies (recreated after a transactional
    test flushed them)."""
    if not SlaPolicy.objects.exists():
        import_module("tickets.migrations.0005_default_calendars").seed(apps, None)
        import_module("tickets.migrations.0007_default_sla_policies").seed(apps, None)
        import_module("tickets.migrations.0017_escalate_on_breach").complaints_escalate(apps, None)


@pytest.fixture
def api_world(org, seeded_policies):
    """阳光旗舰店 (queued to 售前一组, complaints to 投诉组) with five tickets of three
    buyers — one with a buyer follow-up, one closed — a key with every scope
    (``shop_key``), and 李主管's personal read key (``staff_key``)."""

    class World:
        pass

    world = World()
    world.org = org
    world.shop = ShopFactory(
        code=SHOP_CODE, name="阳光旗舰店", default_team=org.presales1, complaint_team=org.complaints
    )
    for name in ("加急", "物流"):
        Tag.objects.create(name=name)
    buyers = [
        {"buyer_id": "tb_xiaoming", "name": "小明", "phone": "13912345678"},
        {"buyer_id": "tb_lihua", "name": "李华"},
        {"buyer_id": "tb_wangfang", "name": "王芳", "phone": "13800001111"},
    ]
    world.tickets = [
        shop_ticket_open(
            shop=world.shop,
            customer=buyers[index % len(buyers)],
            subject=f"订单 E2025{index:04d} 物流三天未更新",
            type=Ticket.Type.COMPLAINT if index == 4 else Ticket.Type.LOGISTICS,
            order_ref=f"E2025{index:04d}",
            tags=["物流"] if index % 2 else [],
        )
        for index in range(5)
    ]
    ticket_customer_message(ticket=world.tickets[0], body="请帮我催一下快递。")
    shop_ticket_change(ticket=world.tickets[1], close=True, reason="买家已收到货")
    world.shop_key, world.shop_secret = api_key_create(
        name="st", shop=world.shop, scopes=ApiKey.Scope.values
    )
    world.staff_key, world.staff_secret = api_key_create(
        name="李主管的脚本", staff=org.supervisor, scopes=[ApiKey.Scope.TICKETS_READ]
    )
    return world


@pytest.fixture
def unthrottled(settings):
    """Lift the rate limits: a fuzzer or a polling client sends many requests quickly."""
    settings.API_RATE = "100000/min"
    settings.API_INBOUND_RATE = "100000/min"
