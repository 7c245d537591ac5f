"""The demo ticket loader (seed_demo's tickets) and ``manage.py bench``."""

import datetime
import re
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from staff.models import Staff, Team
from tests.staff.factories import StaffFactory, TeamFactory
from tickets import services
from tickets.demo import DemoOrganisationMissing, demo_tickets_load
from tickets.management.commands.bench import size_refusal
from tickets.models import (
    ApiKey,
    Category,
    Customer,
    CustomerPhone,
    Macro,
    Message,
    Notification,
    Shop,
    SlaClock,
    Tag,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from tickets.services.lifecycle import search_text_for

NUMBER = re.compile(r"^CS-\d{6}-\d{6}$")
BENCH_LINE = re.compile(r"^bench (\w+) median_ms=\d+\.\d p95_ms=\d+\.\d queries=\d+$")
SCENARIOS = [
    "my_tickets", "team_queue_p1", "team_queue_p50", "search_phone", "search_text", "ticket_page",
    "queue_counts", "team_queue_by_due", "sla_sweep", "api_list", "api_list_deep", "api_create",
]  # fmt: skip
#: Tickets one bench run opens through the API: warm-ups and timed runs of api_create.
API_CREATED_WARM_UPS = 3
#: The demo's "now": fixed, so which tickets are recent (and so their statuses) does not
#: depend on the day or hour the suite runs.
NOW = datetime.datetime(2026, 11, 18, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DEMO_GROUPS = {
    "售前服务部": ["售前一组", "售前二组", "在线咨询组"],
    "售后服务部": ["售后一组", "投诉处理组", "电话回访组"],
}


@pytest.fixture
def demo_groups(db):
    """seed_demo's six groups by name, each with a supervisor and two agents on post."""
    groups = {}
    for department_name, group_names in DEMO_GROUPS.items():
        department = TeamFactory(name=department_name)
        for name in group_names:
            group = TeamFactory(name=name, kind=Team.Kind.GROUP, parent=department)
            StaffFactory(role=Staff.Role.SUPERVISOR, team=group)
            StaffFactory.create_batch(2, team=group)
            groups[name] = group
    return groups


@pytest.fixture
def demo(demo_groups):
    """A small demo load: 50 customers, 300 tickets."""
    assert demo_tickets_load(customers=50, tickets=300, now=NOW) == 300
    return demo_groups


def test_demo_tickets_cover_every_status(demo_groups):
    # a year of 2,000 tickets: enough recent ones for every status still in work
    assert demo_tickets_load(customers=50, tickets=2000, now=NOW) == 2000
    statuses = Counter(Ticket.objects.values_list("status", flat=True))

    assert set(statuses) == set(Ticket.Status.values)
    assert sum(statuses.values()) == 2000
    assert Customer.objects.count() == 50


def test_demo_numbers_are_unique_and_follow_the_creation_month(demo):
    tickets = list(Ticket.objects.values_list("number", "created_at"))

    assert all(NUMBER.match(number) for number, _created in tickets)
    assert len({number for number, _created in tickets}) == 300
    assert all(
        number[3:9] == timezone.localtime(created).strftime("%Y%m") for number, created in tickets
    )


def test_demo_counters_stay_ahead_so_a_new_ticket_does_not_collide(demo):
    per_period = Counter(number[3:9] for number in Ticket.objects.values_list("number", flat=True))
    counters = dict(TicketCounter.objects.values_list("period", "last"))
    assert counters == dict(per_period)
    period = timezone.localtime().strftime("%Y%m")
    group = demo["售后一组"]

    ticket = services.ticket_create(
        actor=None,
        subject="订单物流问题",
        type=Ticket.Type.LOGISTICS,
        channel=Ticket.Channel.PHONE,
        team=group,
        customer=Customer.objects.first(),
    )

    assert ticket.number == f"CS-{period}-{per_period[period] + 1:06d}"
    assert Ticket.objects.filter(number=ticket.number).count() == 1


def test_demo_rows_agree_with_their_status(demo):
    tickets = Ticket.objects.select_related("customer", "assignee")

    for ticket in tickets:
        assert ticket.search_text == search_text_for(ticket, ticket.customer)
        assert ticket.created_at <= ticket.updated_at <= NOW
        if ticket.status == Ticket.Status.NEW:
            assert (ticket.assignee, ticket.first_response_at) == (None, None)
            continue
        assert ticket.assignee.team_id == ticket.team_id
        assert ticket.assignee.status == Staff.Status.ON_POST
        assert ticket.opened_at <= ticket.first_response_at
        if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            assert ticket.first_response_at <= ticket.resolved_at
            assert ticket.resolution_summary
            assert ticket.category_id is not None
        else:
            assert ticket.resolved_at is None
        if ticket.status == Ticket.Status.CLOSED:
            assert ticket.resolved_at <= ticket.closed_at <= NOW
        else:
            assert ticket.closed_at is None
    created = TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED)
    assert created.values("ticket").distinct().count() == 300
    messages = Counter(Message.objects.values_list("ticket_id", flat=True))
    # opening, first reply, up to three follow-ups each answered, closing or waiting reply
    assert set(messages.values()) <= set(range(1, 11))


def test_demo_open_and_recent_tickets_carry_sla_clocks_the_engine_left(demo):
    open_tickets = Ticket.objects.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
    assert open_tickets.exists()
    assert not open_tickets.filter(sla_state=Ticket.SlaState.NONE).exists()
    for ticket in open_tickets.prefetch_related("sla_clocks"):
        clocks = {clock.metric: clock for clock in ticket.sla_clocks.all()}
        resolution = clocks[SlaClock.Metric.RESOLUTION]
        assert ticket.resolution_due == resolution.due_at
        if ticket.status == Ticket.Status.PENDING_CUSTOMER:
            assert ticket.sla_state in (Ticket.SlaState.PAUSED, Ticket.SlaState.BREACHED)
            assert resolution.due_at is None
        if ticket.first_response_at is not None:
            assert clocks[SlaClock.Metric.FIRST_RESPONSE].stopped_at == ticket.first_response_at
    assert Ticket.objects.filter(sla_state=Ticket.SlaState.MET).exists()
    assert Ticket.objects.filter(sla_state=Ticket.SlaState.BREACHED).exists()
    # the alerts of the past are in the bell, not in the email outbox
    assert Notification.objects.exists()
    assert not Notification.objects.filter(email_wanted=True, emailed_at=None).exists()


def test_demo_spreads_tickets_over_the_year_and_keeps_the_spread_timestamps(demo):
    oldest = Ticket.objects.order_by("created_at").first()
    newest = Ticket.objects.order_by("-created_at").first()
    age = NOW - oldest.created_at

    assert 300 <= age.days <= 365
    assert oldest.created_at == oldest.opened_at
    assert (NOW - newest.created_at).days <= 3
    assert Customer.objects.order_by("created_at").first().created_at < oldest.created_at


def test_demo_flags_customers_sharing_a_phone(demo):
    shared = (
        CustomerPhone.objects.values("normalised")
        .annotate(customers=Count("customer", distinct=True))
        .filter(customers__gt=1)
    )

    assert shared.exists()


def test_demo_load_twice_adds_nothing(demo):
    models = (Ticket, Customer, Message, TicketEvent, Macro, Category, Tag, Shop, TicketCounter)
    before = {model: model.objects.count() for model in models}
    counters = list(TicketCounter.objects.values_list("period", "last"))

    added = demo_tickets_load(customers=50, tickets=300, now=NOW)

    assert added == 0
    assert {model: model.objects.count() for model in models} == before
    assert list(TicketCounter.objects.values_list("period", "last")) == counters


def test_demo_without_the_demo_groups_is_refused_and_writes_nothing(db):
    with pytest.raises(DemoOrganisationMissing, match="seed_demo"):
        demo_tickets_load(customers=5, tickets=10)

    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()
    assert not Shop.objects.exists()


def _bench(**options) -> list[str]:
    out = StringIO()
    call_command("bench", stdout=out, **options)
    return out.getvalue().splitlines()


def test_bench_prints_one_line_per_scenario_and_reuses_its_dataset(db):
    lines = _bench(tickets=2000, open=200, agents=20, repeat=2)

    timings = [line for line in lines if line.startswith("bench ")]
    assert [BENCH_LINE.match(line).group(1) for line in timings] == SCENARIOS
    bench_tickets = Ticket.objects.filter(shop__code="bench")
    built = bench_tickets.exclude(customer__accounts__buyer_id__startswith="bench-api-")
    assert built.count() == 2000
    assert built.filter(status__in=Ticket.IN_WORK).count() == 200
    assert bench_tickets.count() == 2000 + API_CREATED_WARM_UPS + 2
    assert not ApiKey.objects.filter(shop__code="bench", revoked_at=None).exists()
    assert Staff.objects.filter(user__username__startswith="bench-agent-").count() == 20

    again = _bench(tickets=2000, open=200, agents=20, repeat=1)

    assert any(line.startswith("Reusing the bench dataset") for line in again)
    assert [BENCH_LINE.match(line).group(1) for line in again if line.startswith("bench ")] == (
        SCENARIOS
    )
    assert built.count() == 2000
    assert bench_tickets.count() == 2000 + 2 * API_CREATED_WARM_UPS + 2 + 1


def test_bench_api_list_queries_do_not_grow_with_the_page(db):
    lines = _bench(tickets=600, open=60, agents=20, repeat=1)

    queries = dict(re.findall(r"^bench (api_list\w*) .* queries=(\d+)$", "\n".join(lines), re.M))
    assert queries["api_list"] == queries["api_list_deep"]


def test_bench_of_another_size_replaces_the_dataset(db):
    _bench(tickets=1000, open=100, agents=20, repeat=1)

    _bench(tickets=600, open=60, agents=20, repeat=1)

    assert Ticket.objects.filter(shop__code="bench").count() == 600 + API_CREATED_WARM_UPS + 1
    assert Customer.objects.filter(notes="manage.py bench").count() == 120
    assert Shop.objects.get(code="bench").name == "压测数据 tickets=600 open=60 agents=20"


@pytest.mark.parametrize(
    ("vendor", "tickets", "refused"),
    [("sqlite", 50_000, False), ("sqlite", 50_001, True), ("postgresql", 1_000_000, False)],
)
def test_large_datasets_are_for_postgresql(vendor, tickets, refused):
    assert bool(size_refusal(vendor, tickets)) is refused


def test_bench_refuses_bad_sizes_and_writes_nothing(db):
    with pytest.raises(CommandError, match="--tickets"):
        _bench(tickets=0)

    assert not Ticket.objects.exists()
    assert not Staff.objects.exists()
