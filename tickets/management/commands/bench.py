"""manage.py bench — build a large ticket dataset (or reuse it) and time the agent pages on it.

The dataset: ``--agents`` agents in groups of about 20 under a few departments (made through
the staff services, as people are), a customer with a phone for every five tickets,
``--tickets`` tickets over the last year of which ``--open`` are still in work (every agent
holds about 30, the rest wait unassigned in their group's queue), and a few messages and
events on a subset. Rows go in with ``COPY`` on PostgreSQL; a Shop with code ``bench``
marks the dataset and its size, so a second run with the same size reuses it.

The timings are server time through Django's test client, with DEBUG off: each page is
requested three times to warm up, then ``--repeat`` times; one line per scenario:
``bench <scenario> median_ms=<x> p95_ms=<y> queries=<n>`` (queries: one request's SQL count).
The API scenarios call the REST API with a key of the bench shop (made for the run, revoked
after it): the first page of its tickets, a page about 500,000 tickets deep (its cursor
made from the id there, as the API encodes cursors), and opening a ticket for a new buyer
each time (these tickets stay in the bench shop, as any ticket opened through the API).
"""

import datetime
import json
import math
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, reset_queries, transaction
from django.db.models import Count
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.pagination import Cursor as CursorPosition

from staff import services as staff_services
from staff.models import Staff, Team
from tickets.api.views import Cursor
from tickets.demo import (
    CATEGORIES,
    EVENT_COLUMNS,
    GREETING,
    MESSAGE_COLUMNS,
    TICKET_DEFAULTS,
    TYPE_WEIGHTS,
    SearchText,
    chinese_name,
    duration_between,
    ids_reserve,
    mobile_number,
    row_defaults,
    rows_insert,
    spread_moments,
    story_tell,
    ticket_numbers_allot,
    tree_leaves_ensure,
)
from tickets.models import (
    ApiKey,
    Category,
    Customer,
    CustomerPhone,
    Message,
    Notification,
    Shop,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    Ticket,
    TicketEvent,
)
from tickets.services.integrations import api_key_create, api_key_revoke
from tickets.services.sla import sla_sweep

Status = Ticket.Status
Kind = TicketEvent.Kind
MINUTE, HOUR, DAY = 60, 3600, 86400

BENCH_SHOP = "bench"
BENCH_NOTE = "manage.py bench"
SQLITE_MAX_TICKETS = 50_000
GROUP_SIZE = 20
GROUPS_PER_DEPARTMENT = 4
OPEN_PER_AGENT = 30
CHUNK = 50_000
WARM_UPS = 3
SEARCH_WORD = "物流"
#: How deep (in tickets, newest first) the deep API page starts.
API_DEEP_POSITION = 500_000
CHANNELS = {"im": 45, "chat": 15, "phone": 18, "api": 10, "wechat": 5, "email": 4, "social": 3}
PRIORITIES = {"P1": 3, "P2": 14, "P3": 68, "P4": 15}
OPEN_STATUSES = (Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL)
#: (choices, cumulative weights) for random.choices, worked out once
TYPE_CHOICES = (list(TYPE_WEIGHTS), list(accumulate(TYPE_WEIGHTS.values())))
CHANNEL_CHOICES = (list(CHANNELS), list(accumulate(CHANNELS.values())))
PRIORITY_CHOICES = (list(PRIORITIES), list(accumulate(PRIORITIES.values())))


@dataclass(frozen=True)
class BenchSize:
    tickets: int
    open: int
    agents: int

    @property
    def customers(self) -> int:
        return max(10, self.tickets // 5)

    @property
    def label(self) -> str:
        """What the marker shop is called: the dataset's size, to tell whether it fits."""
        return f"压测数据 tickets={self.tickets} open={self.open} agents={self.agents}"


@dataclass
class BenchGroup:
    team: Team
    supervisor: Staff
    agents: list[Staff]


def size_refusal(vendor: str, tickets: int) -> str:
    """Why a dataset of this size cannot be built on this database ("" when it can)."""
    if vendor == "sqlite" and tickets > SQLITE_MAX_TICKETS:
        return (
            f"SQLite is not for a benchmark of {tickets:,} tickets (at most "
            f"{SQLITE_MAX_TICKETS:,}). Point DATABASE_URL at PostgreSQL, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/csmanage_bench make bench, "
            "or pass --tickets 50000 or fewer."
        )
    return ""


class Command(BaseCommand):
    help = (
        "Build (or reuse) a large ticket dataset and print server timings of the queue, "
        "search and ticket pages. PostgreSQL for anything over 50,000 tickets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=1_000_000, help="Tickets in all.")
        parser.add_argument(
            "--open",
            dest="open_tickets",
            type=int,
            default=None,
            help="Tickets still in work (default: a tenth of --tickets).",
        )
        parser.add_argument("--agents", type=int, default=200, help="Agents, 20 to a group.")
        parser.add_argument("--repeat", type=int, default=30, help="Timed requests per page.")
        parser.add_argument(
            "--rebuild", action="store_true", help="Build afresh even if the dataset fits."
        )

    def handle(
        self,
        *args,
        tickets: int,
        open_tickets: int | None,
        agents: int,
        repeat: int,
        rebuild: bool,
        **options,
    ) -> None:
        size = BenchSize(
            tickets=tickets,
            open=tickets // 10 if open_tickets is None else open_tickets,
            agents=agents,
        )
        if size.tickets < 1 or not 0 <= size.open <= size.tickets or size.agents < 1 or repeat < 1:
            raise CommandError(
                "Need --tickets ≥ 1, 0 ≤ --open ≤ --tickets, --agents ≥ 1, --repeat ≥ 1."
            )
        refusal = size_refusal(connection.vendor, size.tickets)
        if refusal:
            raise CommandError(refusal)
        groups = bench_organisation(size.agents)
        marker = Shop.objects.filter(code=BENCH_SHOP).first()
        if marker is not None and marker.name == size.label and not rebuild:
            self.stdout.write(f"Reusing the bench dataset ({size.label}).")
        else:
            self._build(size, groups, previous=marker)
        self._measure(groups[0], repeat=repeat)
        self._measure_sweep(repeat=repeat)
        # Last: the tickets it opens get SLA clocks, which would stop clocks_ensure above.
        self._measure_api(repeat=repeat)

    # -- the dataset ------------------------------------------------------------------------------

    def _build(self, size: BenchSize, groups: list[BenchGroup], previous: Shop | None) -> None:
        started = time.perf_counter()

        def progress(text: str) -> None:
            self.stdout.write(f"  {time.perf_counter() - started:6.1f}s  {text}")
            self.stdout.flush()

        self.stdout.write(f"Building the bench dataset ({size.label}) on {connection.vendor}.")
        with transaction.atomic():
            if previous is not None:
                dataset_delete(previous)
                progress("previous bench dataset removed")
            shop = previous or Shop(code=BENCH_SHOP, platform=Shop.Platform.TMALL)
            shop.name = size.label
            shop.save()
            _BenchBuilder(size=size, groups=groups, shop=shop, progress=progress).build()
        if connection.vendor == "postgresql":
            written = (Customer, CustomerPhone, Ticket, Message, TicketEvent, Staff, Team)
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in written)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")
            progress("ANALYZE done")
        self.stdout.write(f"Built in {time.perf_counter() - started:.0f}s.")

    # -- the timings ------------------------------------------------------------------------------

    def _measure(self, group: BenchGroup, *, repeat: int) -> None:
        shop = Shop.objects.get(code=BENCH_SHOP)
        # Fresh from the database: a password set since would void a stale login.
        people = Staff.objects.select_related("user").in_bulk(
            [group.agents[0].pk, group.supervisor.pk]
        )
        agent, supervisor = people[group.agents[0].pk], people[group.supervisor.pk]
        bench_tickets = Ticket.objects.filter(shop=shop)
        sample = (
            bench_tickets.filter(assignee=agent)
            .annotate(message_count=Count("messages"))
            .filter(message_count__gte=3)
            .order_by("-created_at")
            .values_list("number", "customer_id")
            .first()
        )
        if sample is None:
            raise CommandError(f"No ticket of {agent.name} has messages: rebuild with --rebuild.")
        number, customer_id = sample
        phone = CustomerPhone.objects.filter(customer_id=customer_id).values_list(
            "number", flat=True
        )[0]
        mine = reverse("tickets:queue", args=["mine"])
        team = reverse("tickets:queue", args=["team"])
        scenarios = [
            ("my_tickets", agent, mine),
            ("team_queue_p1", supervisor, team),
            ("team_queue_p50", supervisor, f"{team}?page=50"),
            ("search_phone", supervisor, f"{team}?q={phone}"),
            ("search_text", supervisor, f"{team}?q={SEARCH_WORD}"),
            ("ticket_page", agent, reverse("tickets:detail", args=[number])),
            ("queue_counts", supervisor, f"{reverse('tickets:counts')}?queue=team"),
            ("team_queue_by_due", supervisor, f"{team}?sort=due"),
        ]
        self.stdout.write(
            f"Timing as {agent.user.username} (agent) and {supervisor.user.username} "
            f"(supervisor), {WARM_UPS} warm-ups and {repeat} runs per page:"
        )
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            for name, staff, url in scenarios:
                client = Client()
                client.force_login(staff.user)
                median, p95, queries = page_timing(client, url, repeat=repeat)
                self.stdout.write(
                    f"bench {name} median_ms={median:.1f} p95_ms={p95:.1f} queries={queries}"
                )

    def _measure_sweep(self, *, repeat: int) -> None:
        """The every-minute SLA sweep over the open bench tickets' clocks: once to clear
        the backlog of alerts, then ``repeat`` steady-state runs."""
        clocks_ensure(Shop.objects.get(code=BENCH_SHOP))
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            first = sla_sweep()
        self.stdout.write(
            f"  first sweep: {first['breached']:,} breaches and {first['warned']:,} warnings "
            f"recorded in {(time.perf_counter() - started) * 1000:.0f} ms"
        )
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            sla_sweep()
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p95 = timings[math.ceil(0.95 * len(timings)) - 1]
        self.stdout.write(
            f"bench sla_sweep median_ms={statistics.median(timings):.1f} p95_ms={p95:.1f} "
            f"queries={len(captured)}"
        )

    def _measure_api(self, *, repeat: int) -> None:
        """The shop API with a key of the bench shop, made for the run and revoked after."""
        shop = Shop.objects.get(code=BENCH_SHOP)
        key, raw = api_key_create(
            name=BENCH_NOTE,
            shop=shop,
            scopes=[ApiKey.Scope.TICKETS_READ, ApiKey.Scope.TICKETS_WRITE],
        )
        tickets_url = reverse("v1:ticket-list")
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        try:
            with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts, API_RATE="100000/min"):
                client = Client(headers={"authorization": f"Bearer {raw}"})
                deep = api_deep_page_url(shop, tickets_url)
                for name, url in (("api_list", tickets_url), ("api_list_deep", deep)):
                    median, p95, queries = page_timing(client, url, repeat=repeat)
                    self._timing_line(name, median, p95, queries)

                def create():
                    buyer = f"bench-api-{uuid.uuid4().hex[:12]}"
                    return client.post(
                        tickets_url,
                        json.dumps(
                            {
                                "subject": "订单物流三天未更新",
                                "type": Ticket.Type.LOGISTICS,
                                "order_ref": f"BENCH{buyer[-8:]}",
                                "customer": {"buyer_id": buyer, "name": "压测买家"},
                            }
                        ),
                        content_type="application/json",
                        headers={"idempotency-key": buyer},
                        secure=True,
                    )

                median, p95, queries = request_timing(create, repeat=repeat, expect=201)
                self._timing_line("api_create", median, p95, queries)
        finally:
            api_key_revoke(key=key)

    def _timing_line(self, name: str, median: float, p95: float, queries: int) -> None:
        self.stdout.write(f"bench {name} median_ms={median:.1f} p95_ms={p95:.1f} queries={queries}")


def api_deep_page_url(shop: Shop, tickets_url: str) -> str:
    """The list URL of the page that starts about ``API_DEEP_POSITION`` tickets down the
    shop's newest-first list (half-way down a smaller one): a cursor made from the id found
    there, encoded as the API's paginator encodes the ``next`` cursors it hands out."""
    tickets = Ticket.objects.filter(shop=shop).order_by("-id").values_list("id", flat=True)
    depth = min(API_DEEP_POSITION, tickets.count() // 2)
    position = tickets[depth]
    paginator = Cursor()
    paginator.base_url = tickets_url
    return paginator.encode_cursor(CursorPosition(offset=0, reverse=False, position=str(position)))


def clocks_ensure(shop: Shop) -> int:
    """Give the open bench tickets resolution clocks, set-based, if they have none: due
    times spread from well past to days ahead (wall-clock minutes, which is all a sweep
    needs to be measured), at risk from 80 % of the target."""
    tickets = Ticket.objects.filter(shop=shop, status__in=Ticket.IN_WORK)
    if SlaClock.objects.filter(ticket__in=tickets).exists():
        return 0
    policy = SlaPolicy.objects.filter(is_active=True).order_by("position", "pk").last()
    if policy is None:
        return 0
    now = timezone.now()
    ids = list(tickets.exclude(status=Ticket.Status.PENDING_CUSTOMER).values_list("pk", flat=True))
    clocks = (
        SlaClock(
            ticket_id=pk,
            metric=SlaClock.Metric.RESOLUTION,
            policy=policy,
            calendar_id=policy.calendar_id,
            target_minutes=2700,
            running_since=now,
            due_at=now + datetime.timedelta(minutes=pk % 8000 - 2000),
            warn_at=now + datetime.timedelta(minutes=pk % 8000 - 2540),
        )
        for pk in ids
    )
    SlaClock.objects.bulk_create(clocks, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_slaclock")
    due = SlaClock.objects.filter(
        ticket_id=models.OuterRef("pk"), metric=SlaClock.Metric.RESOLUTION
    )
    Ticket.objects.filter(pk__in=ids).update(
        sla_state="ok", resolution_due=models.Subquery(due.values("due_at")[:1])
    )
    return len(ids)


def page_timing(client: Client, url: str, *, repeat: int) -> tuple[float, float, int]:
    """(median ms, 95th percentile ms, SQL queries of one request) of GET ``url``."""
    return request_timing(lambda: client.get(url, secure=True), repeat=repeat)


def request_timing(
    send: Callable[[], HttpResponse], *, repeat: int, expect: int = 200
) -> tuple[float, float, int]:
    """(median ms, 95th percentile ms, SQL queries of one request) of ``send()``, which
    must answer ``expect``. The queries are counted on the last warm-up, so counting costs
    the timed runs nothing."""

    def checked():
        response = send()
        if response.status_code != expect:
            raise CommandError(
                f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']} "
                f"answered {response.status_code}, not {expect}: {response.content[:300]!r}"
            )
        return response

    for _ in range(WARM_UPS - 1):
        checked()
    # A capture slices the query log by its length before and after, but every request
    # empties the log when it starts: so start from an empty log, and count at once.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        checked()
    queries = len(captured)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        checked()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[math.ceil(0.95 * len(timings)) - 1]  # nearest rank
    return statistics.median(timings), p95, queries


# -- the organisation -----------------------------------------------------------------------------


def bench_organisation(agent_count: int) -> list[BenchGroup]:
    """Departments 压测N部, groups 压测NN组 of up to 20 agents with a supervisor each, a
    manager per department; made through the staff services, reused when already there."""
    rng = random.Random(1_000_003)  # noqa: S311 - names for test data
    group_count = math.ceil(agent_count / GROUP_SIZE)
    created: list[Staff] = []

    def team(name: str, kind: str, parent: Team | None = None) -> Team:
        return Team.objects.filter(name=name).first() or staff_services.team_create(
            actor=None, name=name, kind=kind, parent=parent
        )

    def person(username: str, number: str, role: str, team: Team) -> Staff:
        existing = Staff.objects.select_related("user").filter(user__username=username).first()
        if existing is not None:
            return existing
        staff = staff_services.staff_create(
            actor=None,
            username=username,
            employee_number=number,
            name=chinese_name(rng),
            role=role,
            team=team,
            hire_date=datetime.date(2024, 3, 1),
            status=Staff.Status.ON_POST,
            onboarding_passed=True,
            confidentiality_signed_on=datetime.date(2024, 3, 1),
        )
        created.append(staff)
        return staff

    departments = []
    for index in range(1, math.ceil(group_count / GROUPS_PER_DEPARTMENT) + 1):
        department = team(f"压测{index}部", Team.Kind.DEPARTMENT)
        person(f"bench-manager-{index}", f"BM{index:02d}", Staff.Role.MANAGER, department)
        departments.append(department)
    groups = []
    for index in range(1, group_count + 1):
        parent = departments[(index - 1) // GROUPS_PER_DEPARTMENT]
        group = team(f"压测{index:02d}组", Team.Kind.GROUP, parent)
        supervisor = person(
            f"bench-supervisor-{index:02d}", f"BS{index:03d}", Staff.Role.SUPERVISOR, group
        )
        seats = range((index - 1) * GROUP_SIZE + 1, min(index * GROUP_SIZE, agent_count) + 1)
        agents = [
            person(f"bench-agent-{seat:04d}", f"BA{seat:04d}", Staff.Role.SPECIALIST, group)
            for seat in seats
        ]
        groups.append(BenchGroup(team=group, supervisor=supervisor, agents=agents))
    if created:
        staff_services.accounts_set_password(
            users=[staff.user for staff in created], password=settings.DEMO_PASSWORD
        )
    return groups


# -- removing a previous dataset ------------------------------------------------------------------


def dataset_delete(shop: Shop) -> None:
    """Remove the bench tickets (with their messages, events and tags) and the bench
    customers (with their phones) by set-based deletes. Refuses when anything else refers to
    them — someone worked on the dataset by hand — rather than delete more than it made."""
    tickets = Ticket.objects.filter(shop=shop)
    customers = Customer.objects.filter(notes=BENCH_NOTE)
    made = {
        Message: models.Q(ticket__shop=shop),
        SlaClock: models.Q(ticket__shop=shop),
        SlaEvent: models.Q(ticket__shop=shop),
        Notification: models.Q(ticket__shop=shop),
        TicketEvent: models.Q(ticket__shop=shop),
        Ticket.tags.through: models.Q(ticket__shop=shop),
        Ticket: models.Q(shop=shop),
        CustomerPhone: models.Q(customer__notes=BENCH_NOTE),
    }
    messages = Message.objects.filter(ticket__shop=shop)
    for target, rows in ((Ticket, tickets), (Message, messages), (Customer, customers)):
        for relation in target._meta.get_fields(include_hidden=True):
            if not (relation.auto_created and not relation.concrete and relation.is_relation):
                continue
            if relation.many_to_many or not getattr(relation.field, "db_constraint", True):
                continue
            referring = relation.related_model._base_manager.filter(
                **{f"{relation.field.name}__in": rows}
            )
            if relation.related_model in made:
                referring = referring.exclude(made[relation.related_model])
            if referring.exists():
                raise CommandError(
                    f"{relation.related_model._meta.verbose_name_plural} refer to the bench "
                    "dataset; it was worked on by hand. Drop the database and run again."
                )
    table = connection.ops.quote_name
    ticket_table = table(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        for model in (Message, TicketEvent, Notification, SlaClock, SlaEvent, Ticket.tags.through):
            cursor.execute(
                f"DELETE FROM {table(model._meta.db_table)} WHERE ticket_id IN "  # noqa: S608 - quoted model names
                f"(SELECT id FROM {ticket_table} WHERE shop_id = %s)",
                [shop.pk],
            )
        cursor.execute(f"DELETE FROM {ticket_table} WHERE shop_id = %s", [shop.pk])  # noqa: S608
        customer_table = table(Customer._meta.db_table)
        cursor.execute(
            f"DELETE FROM {table(CustomerPhone._meta.db_table)} WHERE customer_id IN "  # noqa: S608
            f"(SELECT id FROM {customer_table} WHERE notes = %s)",
            [BENCH_NOTE],
        )
        cursor.execute(f"DELETE FROM {customer_table} WHERE notes = %s", [BENCH_NOTE])  # noqa: S608


# -- building -------------------------------------------------------------------------------------


class _BenchBuilder:
    def __init__(
        self,
        *,
        size: BenchSize,
        groups: list[BenchGroup],
        shop: Shop,
        progress: Callable[[str], None],
    ) -> None:
        self.size, self.groups, self.shop, self.progress = size, groups, shop, progress
        self.rng = random.Random(20_261_111)  # noqa: S311 - test data, not security
        self.now = timezone.now()
        self.search_text = SearchText()
        self.categories = [node.pk for node in tree_leaves_ensure(Category, CATEGORIES).values()]

    def build(self) -> None:
        self._customers()
        self.progress(f"{self.size.customers:,} customers with phones")
        moments = spread_moments(self.rng, self.size.tickets, now=self.now)
        numbers = ticket_numbers_allot(moments)
        ids = ids_reserve(Ticket, self.size.tickets)
        self.progress("ticket numbers and ids reserved")
        # The open tickets are mostly the newest; a few stragglers are older.
        newest = range(max(0, self.size.tickets - self.size.open * 3 // 2), self.size.tickets)
        open_indexes = set(self.rng.sample(newest, min(self.size.open, len(newest))))
        if len(open_indexes) < self.size.open:
            rest = [i for i in range(self.size.tickets) if i not in open_indexes]
            open_indexes.update(self.rng.sample(rest, self.size.open - len(open_indexes)))
        per_agent = min(OPEN_PER_AGENT, self.size.open * 6 // 10 // max(1, self.size.agents))
        self.open_quota = {agent.pk: per_agent for group in self.groups for agent in group.agents}
        columns = list(TICKET_DEFAULTS)
        counts = {"tickets": 0, "messages": 0, "events": 0}
        for start in range(0, self.size.tickets, CHUNK):
            tickets, messages, events = [], [], []
            for index in range(start, min(start + CHUNK, self.size.tickets)):
                row = self._ticket(
                    ids[index],
                    numbers[index],
                    moments[index],
                    index in open_indexes,
                    messages,
                    events,
                )
                tickets.append([row[column] for column in columns])
            counts["tickets"] += rows_insert(Ticket, columns, tickets)
            counts["messages"] += rows_insert(Message, MESSAGE_COLUMNS, messages)
            counts["events"] += rows_insert(TicketEvent, EVENT_COLUMNS, events)
            self.progress(
                f"tickets {counts['tickets']:,}/{self.size.tickets:,}, "
                f"messages {counts['messages']:,}, events {counts['events']:,}"
            )

    def _customers(self) -> None:
        rng = self.rng
        self.customer_ids = ids_reserve(Customer, self.size.customers)
        self.customer_names = [chinese_name(rng) for _ in self.customer_ids]
        joined = self.now - datetime.timedelta(days=400)
        defaults = row_defaults(Customer)
        columns = list(defaults)
        rows = (
            [
                dict(
                    defaults,
                    id=pk,
                    name=name,
                    notes=BENCH_NOTE,
                    created_at=joined,
                    updated_at=joined,
                )[column]
                for column in columns
            ]
            for pk, name in zip(self.customer_ids, self.customer_names, strict=True)
        )
        rows_insert(Customer, columns, rows)
        phones, numbers = [], set()
        for pk in self.customer_ids:
            number = mobile_number(rng)
            while number in numbers:
                number = mobile_number(rng)
            numbers.add(number)
            phones.append((pk, number, number))
        rows_insert(CustomerPhone, ["customer_id", "number", "normalised"], phones)

    def _ticket(
        self,
        pk: int,
        number: str,
        opened: datetime.datetime,
        is_open: bool,
        messages: list,
        events: list,
    ) -> dict:
        rng = self.rng
        group = self.groups[rng.randrange(len(self.groups))]
        owner = rng.randrange(len(self.customer_ids))
        ticket_type = pick(rng, TYPE_CHOICES)
        text = story_tell(rng, ticket_type, platform=self.shop.platform, at=opened)
        agent = None
        if is_open:
            agent = next((a for a in group.agents if self.open_quota[a.pk] > 0), None)
            if agent is not None:
                self.open_quota[agent.pk] -= 1
            status = rng.choices(OPEN_STATUSES, weights=(60, 25, 15))[0] if agent else Status.NEW
        else:
            agent = group.agents[rng.randrange(len(group.agents))]
            status = Status.CLOSED if rng.random() < 0.95 else Status.RESOLVED
        row = dict(
            TICKET_DEFAULTS,
            id=pk,
            number=number,
            subject=text.subject,
            description=text.description,
            type=ticket_type,
            channel=pick(rng, CHANNEL_CHOICES),
            priority=pick(rng, PRIORITY_CHOICES),
            status=status,
            team_id=group.team.pk,
            customer_id=self.customer_ids[owner],
            shop_id=self.shop.pk,
            order_ref=text.order_ref,
            opened_at=opened,
            created_at=opened,
            updated_at=opened,
            search_text=self.search_text(
                subject=text.subject,
                description=text.description,
                order_ref=text.order_ref,
                customer_name=self.customer_names[owner],
            ),
        )
        talk = agent is not None and (is_open or rng.random() < 0.08)
        if talk or (agent is None and rng.random() < 0.08):
            messages.append((pk, Message.Kind.CUSTOMER, None, text.says, row["channel"], opened))
            events.append((pk, Kind.CREATED, None, "", "", {"channel": row["channel"]}, opened))
        if agent is None:
            return row
        latest = self.now - datetime.timedelta(minutes=1)
        to_response = duration_between(rng, MINUTE, 2 * HOUR)
        to_resolve = to_response + duration_between(rng, 10 * MINUTE, 3 * DAY)
        to_close = to_resolve + duration_between(rng, DAY, 7 * DAY, log=False)
        span = {Status.CLOSED: to_close, Status.RESOLVED: to_resolve}.get(status, to_response)
        if opened + span > latest:
            scale = (latest - opened) / span * 0.9
            to_response, to_resolve, to_close = (
                d * scale for d in (to_response, to_resolve, to_close)
            )
        responded = opened + to_response
        row.update(
            assignee_id=agent.pk,
            assigned_at=opened + to_response / 2,
            first_response_at=responded,
            updated_at=responded,
        )
        if is_open and rng.random() < 0.02 and group.supervisor:
            row.update(escalation_level=1, escalated_to_id=group.supervisor.pk)
        if talk:
            claimed = (Status.NEW, Status.OPEN, {"to": agent.name}, row["assigned_at"])
            events.append((pk, Kind.CLAIMED, agent.pk, *claimed))
            reply = GREETING.format(agent=agent.name) + "我这边马上为您核实处理，请稍等。"
            messages.append((pk, Message.Kind.REPLY, agent.pk, reply, "", responded))
            if rng.random() < 0.5:
                ends = latest if is_open else opened + to_resolve
                later = responded + (ends - responded) * rng.uniform(0.05, 0.5)
                chase = "好的，麻烦尽快处理。"
                messages.append((pk, Message.Kind.CUSTOMER, None, chase, row["channel"], later))
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved = opened + to_resolve
            row.update(
                resolved_at=resolved,
                updated_at=resolved,
                category_id=self.categories[rng.randrange(len(self.categories))],
                resolution_summary=text.resolution,
            )
            if talk:
                messages.append((pk, Message.Kind.REPLY, agent.pk, text.resolution, "", resolved))
                resolving = (Status.OPEN, Status.RESOLVED, {}, resolved)
                events.append((pk, Kind.RESOLVED, agent.pk, *resolving))
        if status == Status.CLOSED:
            closed = opened + to_close
            row.update(closed_at=closed, updated_at=closed)
            if talk:
                closing = (Status.RESOLVED, Status.CLOSED, {"reason": ""}, closed)
                events.append((pk, Kind.CLOSED, None, *closing))
        return row


def pick(rng: random.Random, choices: tuple[list, list]) -> str:
    values, cumulative = choices
    return rng.choices(values, cum_weights=cumulative)[0]
