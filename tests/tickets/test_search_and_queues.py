"""Reading tickets: the four queue views and their counts, search, filters, sorts, scope."""

import pytest
from django.contrib.auth import get_user_model

from staff.services import staff_offboard, staff_update
from tests.tickets.factories import CategoryFactory, CustomerFactory, TicketFactory
from tickets import services
from tickets.models import Tag, Ticket
from tickets.selectors import QueueQuery, queue_counts, queue_tickets, ticket_list_for

User = get_user_model()
QUEUES = ("mine", "team", "unassigned", "escalated")


def keys_of(tickets, named: dict[str, Ticket]) -> list[str]:
    """The fixture names of ``tickets``, in their order."""
    name_of = {ticket.pk: key for key, ticket in named.items()}
    return [name_of[ticket.pk] for ticket in tickets]


def claimed(ticket: Ticket, agent) -> Ticket:
    services.ticket_claim(actor=agent, ticket=ticket)
    return ticket


# --- the four queue views --------------------------------------------------------------------


@pytest.fixture
def board(org):
    """Open work across the organisation, plus one resolved ticket (never in a queue)."""
    tickets = {
        "mine": claimed(TicketFactory(team=org.presales1), org.agent),
        "colleague": claimed(TicketFactory(team=org.presales1), org.agent2),
        "unclaimed": TicketFactory(team=org.presales1),
        "escalated": claimed(TicketFactory(team=org.presales1), org.agent2),
        "second_group": TicketFactory(team=org.presales2),
        "complaint": TicketFactory(team=org.complaints),
        "resolved": claimed(
            TicketFactory(team=org.presales1, category=CategoryFactory()), org.agent
        ),
    }
    services.ticket_escalate(actor=org.agent2, ticket=tickets["escalated"], reason="顾客要求主管")
    services.ticket_resolve(
        actor=org.agent, ticket=tickets["resolved"], resolution_summary="已补发。"
    )
    return tickets


GROUP_ONE = {"mine", "colleague", "unclaimed", "escalated"}
NOTHING = {queue: frozenset() for queue in QUEUES}
QUEUE_VIEWS = {
    "agent": {"mine": {"mine"}, "team": GROUP_ONE, "unassigned": {"unclaimed"}, "escalated": set()},
    "agent2": {
        "mine": {"colleague", "escalated"},
        "team": GROUP_ONE,
        "unassigned": {"unclaimed"},
        "escalated": set(),
    },
    "supervisor": {
        "mine": set(),
        "team": GROUP_ONE,
        "unassigned": {"unclaimed"},
        "escalated": {"escalated"},
    },
    "manager": {
        "mine": set(),
        "team": GROUP_ONE | {"second_group"},
        "unassigned": {"unclaimed", "second_group"},
        "escalated": set(),
    },
    "director": {
        "mine": set(),
        "team": GROUP_ONE | {"second_group", "complaint"},
        "unassigned": {"unclaimed", "second_group", "complaint"},
        "escalated": set(),
    },
    "supervisor_b": {
        "mine": set(),
        "team": {"complaint"},
        "unassigned": {"complaint"},
        "escalated": set(),
    },
    "qa": NOTHING,
    "hr": NOTHING,
}
VIEW_CASES = [(who, queue) for who in QUEUE_VIEWS for queue in QUEUES]


@pytest.mark.parametrize(("who", "queue"), VIEW_CASES, ids=[f"{w}-{q}" for w, q in VIEW_CASES])
def test_queue_view_per_role(org, board, who, queue):
    viewer = getattr(org, who)

    rows = queue_tickets(user=viewer.user, query=QueueQuery(queue=queue))

    assert set(keys_of(rows, board)) == QUEUE_VIEWS[who][queue]


@pytest.mark.parametrize("who", QUEUE_VIEWS)
def test_queue_counts_match_the_views(org, board, who):
    viewer = getattr(org, who)

    counts = queue_counts(user=viewer.user)

    assert counts == {queue: len(QUEUE_VIEWS[who][queue]) for queue in QUEUES}


def test_second_escalation_reaches_the_managers_queue(org, board):
    services.ticket_escalate(
        actor=org.supervisor, ticket=board["escalated"], reason="要求赔偿超出权限"
    )

    rows = queue_tickets(user=org.manager.user, query=QueueQuery(queue="escalated"))

    assert keys_of(rows, board) == ["escalated"]
    assert queue_counts(user=org.supervisor.user)["escalated"] == 0


def test_queue_query_keeps_only_known_values():
    query = QueueQuery.from_params(
        "everything",
        {
            "priority": "P9",
            "status": "resolved",
            "sort": "random",
            "q": "  物流  ",
            "tag": "x" * 80,
        },
    )

    assert query == QueueQuery(
        queue="mine", status="resolved", priority="", q="物流", tag="x" * 50, sort="newest"
    )


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(org):
    """Three customers' tickets; 王秀英 and 赵敏 share the last four digits 5759."""
    wang = CustomerFactory(name="王秀英", phones=["+86 138-1234-5759"])
    li = CustomerFactory(name="李建国", phones=["13900002222"])
    zhao = CustomerFactory(name="赵敏", phones=["13712345759"])
    tickets = {
        "logistics": TicketFactory(
            team=org.presales1,
            customer=wang,
            subject="物流三天没有更新",
            description="",
            order_ref="TB-20251101-0042",
        ),
        "invoice": TicketFactory(
            team=org.presales1,
            customer=li,
            subject="iPhone 15 发票抬头开错了",
            description="",
            order_ref="4105229876543210",
            category=CategoryFactory(),
        ),
        "complaint": TicketFactory(
            team=org.complaints,
            customer=zhao,
            subject="物流太慢要投诉",
            description="",
            type=Ticket.Type.COMPLAINT,
        ),
    }
    claimed(tickets["invoice"], org.agent)
    services.ticket_resolve(
        actor=org.agent, ticket=tickets["invoice"], resolution_summary="已重开发票。"
    )
    return tickets


SEARCHES = {
    "full-phone": ("agent", "13812345759", {"logistics"}),
    "phone-as-written": ("agent", "+86 138-1234-5759", {"logistics"}),
    "last-four-digits": ("agent", "5759", {"logistics"}),
    "last-four-digits-director": ("director", "5759", {"logistics", "complaint"}),
    "order-number": ("agent", "TB-20251101-0042", {"logistics"}),
    "digits-only-order-number-of-a-resolved-ticket": ("agent", "4105229876543210", {"invoice"}),
    "chinese-text": ("agent", "物流", {"logistics"}),
    "chinese-text-director": ("director", "物流", {"logistics", "complaint"}),
    "customer-name": ("agent", "王秀英", {"logistics"}),
    "any-case": ("agent", "IPHONE", {"invoice"}),
    "other-groups-phone": ("agent", "13712345759", set()),
    "other-groups-customer": ("agent", "赵敏", set()),
    "no-match": ("director", "退款", set()),
}


@pytest.mark.parametrize(("who", "text", "found"), SEARCHES.values(), ids=SEARCHES.keys())
def test_search_within_scope(org, catalogue, who, text, found):
    viewer = getattr(org, who)

    rows = queue_tickets(user=viewer.user, query=QueueQuery(queue="mine", q=text))

    assert set(keys_of(rows, catalogue)) == found


@pytest.mark.parametrize("spelling", [str.upper, str.lower])
def test_search_by_ticket_number(org, catalogue, spelling):
    number = spelling(catalogue["logistics"].number)

    rows = queue_tickets(user=org.agent.user, query=QueueQuery(queue="mine", q=number))

    assert keys_of(rows, catalogue) == ["logistics"]


def test_search_by_the_number_of_a_ticket_out_of_scope_finds_nothing(org, catalogue):
    number = catalogue["complaint"].number

    rows = queue_tickets(user=org.agent.user, query=QueueQuery(queue="team", q=number))

    assert list(rows) == []
    assert keys_of(
        queue_tickets(user=org.supervisor_b.user, query=QueueQuery(q=number)), catalogue
    ) == ["complaint"]


def test_search_finds_text_changed_after_creation(org, catalogue):
    ticket = catalogue["logistics"]
    claimed(ticket, org.agent)

    services.ticket_update(actor=org.agent, ticket=ticket, subject="顾客要求退款")

    rows = queue_tickets(user=org.agent.user, query=QueueQuery(q="退款"))
    assert keys_of(rows, catalogue) == ["logistics"]
    assert list(queue_tickets(user=org.agent.user, query=QueueQuery(q="三天没有更新"))) == []


# --- filters and sorts -----------------------------------------------------------------------


@pytest.fixture
def mix(org):
    """Three 售前一组 tickets, created in this order, differing in every filtered field."""
    vip = Tag.objects.create(name="VIP")
    urgent = claimed(
        TicketFactory(
            team=org.presales1,
            priority="P1",
            type=Ticket.Type.COMPLAINT,
            channel=Ticket.Channel.PHONE,
            tags=[vip],
        ),
        org.agent,
    )
    waiting = claimed(
        TicketFactory(
            team=org.presales1,
            priority="P3",
            type=Ticket.Type.LOGISTICS,
            channel=Ticket.Channel.CHAT,
        ),
        org.agent2,
    )
    services.ticket_set_status(
        actor=org.agent2, ticket=waiting, status=Ticket.Status.PENDING_CUSTOMER
    )
    fresh = TicketFactory(
        team=org.presales1,
        priority="P2",
        type=Ticket.Type.PRESALES,
        channel=Ticket.Channel.WECHAT,
        tags=[vip],
    )
    return {"urgent": urgent, "waiting": waiting, "fresh": fresh}


FILTERS = {
    "status": ({"status": "pending_customer"}, ["waiting"]),
    "priority": ({"priority": "P1"}, ["urgent"]),
    "type": ({"type": "presales"}, ["fresh"]),
    "channel": ({"channel": "chat"}, ["waiting"]),
    "tag": ({"tag": "VIP"}, ["fresh", "urgent"]),
    "tag-and-priority": ({"tag": "VIP", "priority": "P2"}, ["fresh"]),
    "unknown-tag": ({"tag": "黑名单"}, []),
}


@pytest.mark.parametrize(("filters", "expected"), FILTERS.values(), ids=FILTERS.keys())
def test_team_queue_filters(org, mix, filters, expected):
    rows = queue_tickets(user=org.supervisor.user, query=QueueQuery(queue="team", **filters))

    assert keys_of(rows, mix) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["fresh", "waiting", "urgent"]),
        ("oldest", ["urgent", "waiting", "fresh"]),
        ("priority", ["urgent", "fresh", "waiting"]),
    ],
)
def test_team_queue_sorts(org, mix, sort, expected):
    rows = queue_tickets(user=org.supervisor.user, query=QueueQuery(queue="team", sort=sort))

    assert keys_of(rows, mix) == expected


# --- the scope rule over tickets -------------------------------------------------------------


@pytest.fixture
def one_per_group(org):
    return {
        "presales1": TicketFactory(team=org.presales1),
        "presales2": TicketFactory(team=org.presales2),
        "complaints": TicketFactory(team=org.complaints),
    }


TICKET_SCOPE = {
    "director": {"presales1", "presales2", "complaints"},
    "manager": {"presales1", "presales2"},
    "manager_b": {"complaints"},
    "supervisor": {"presales1"},
    "supervisor2": {"presales2"},
    "supervisor_b": {"complaints"},
    "agent": {"presales1"},
    "agent2": {"presales1"},
    "agent_p2": {"presales2"},
    "agent_b": {"complaints"},
    "qa": set(),
    "hr": set(),
}


@pytest.mark.parametrize(("who", "sees"), TICKET_SCOPE.items(), ids=TICKET_SCOPE.keys())
def test_ticket_scope_per_role(org, one_per_group, who, sees):
    viewer = getattr(org, who)

    assert set(keys_of(ticket_list_for(user=viewer.user), one_per_group)) == sees


def test_specialist_keeps_seeing_own_ticket_after_moving_group(org, one_per_group):
    claimed(one_per_group["presales1"], org.agent)

    staff_update(actor=None, staff=org.agent, team=org.presales2)

    viewer = User.objects.get(pk=org.agent.user_id)
    assert set(keys_of(ticket_list_for(user=viewer), one_per_group)) == {"presales1", "presales2"}


def test_someone_who_left_sees_no_tickets(org, one_per_group):
    staff_offboard(actor=org.director, staff=org.manager, accounts_returned=["manager"])

    viewer = User.objects.get(pk=org.manager.user_id)
    assert list(ticket_list_for(user=viewer)) == []
