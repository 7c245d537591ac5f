"""Races the row locks must win: two agents claiming one ticket, several tickets opened at once.

Each thread has its own database connection, so these tests commit for real
(``transaction=True``); PostgreSQL is the real proof, SQLite must agree.
"""

import pytest

from tests.concurrency import run_at_once
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets import services
from tickets.models import Ticket, TicketEvent


@pytest.mark.django_db(transaction=True)
def test_two_agents_claiming_at_once_exactly_one_wins(org):
    ticket = TicketFactory(team=org.presales1)
    agents = (org.agent, org.agent2)

    outcomes = run_at_once(
        *(
            lambda agent=agent: services.ticket_claim(actor=agent, ticket=ticket.pk)
            for agent in agents
        )
    )

    ticket.refresh_from_db()
    winner = ticket.assignee
    won = [agent for agent, outcome in zip(agents, outcomes, strict=True) if outcome == ticket]
    lost = [outcome for outcome in outcomes if isinstance(outcome, services.TicketAlreadyClaimed)]
    assert won == [winner], outcomes
    assert len(lost) == 1, outcomes
    assert lost[0].code == "already_claimed"
    assert winner.name in lost[0].messages[0]
    assert ticket.number in lost[0].messages[0]
    assert ticket.status == Ticket.Status.OPEN
    assert list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CLAIMED).values_list(
            "actor", flat=True
        )
    ) == [winner.pk]


@pytest.mark.django_db(transaction=True)
def test_tickets_opened_at_once_get_distinct_consecutive_numbers(org):
    customer = CustomerFactory(name="王秀英")
    openers = 5

    outcomes = run_at_once(
        *(
            lambda: services.ticket_create(
                actor=org.agent,
                subject="物流三天没有更新",
                type=Ticket.Type.LOGISTICS,
                channel=Ticket.Channel.CHAT,
                team=org.presales1,
                customer=customer,
            )
            for _ in range(openers)
        )
    )

    assert all(isinstance(outcome, Ticket) for outcome in outcomes), outcomes
    numbers = sorted(ticket.number for ticket in outcomes)
    period = numbers[0][3:9]
    assert numbers == [f"CS-{period}-{serial:06d}" for serial in range(1, openers + 1)]
    assert Ticket.objects.count() == openers
