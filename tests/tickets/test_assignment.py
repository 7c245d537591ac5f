"""Who works a ticket: claiming, assigning, auto-assignment and hand-over when someone leaves."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from staff.models import Staff
from staff.services import staff_offboard, staff_update
from tests.staff.factories import StaffFactory
from tests.tickets.factories import CategoryFactory, TicketFactory
from tickets import services
from tickets.models import Message, Ticket, TicketEvent
from tickets.permissions import TicketNotAllowed

Status = Ticket.Status
Kind = TicketEvent.Kind


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the zh-hans catalogue is translated separately."""
    with translation.override("en"):
        yield


def stored(ticket: Ticket) -> tuple:
    """The ticket's row, events and messages as stored (compared around a refusal)."""
    return (
        Ticket.objects.values().get(pk=ticket.pk),
        list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True)),
        list(Message.objects.filter(ticket=ticket).values_list("pk", flat=True)),
    )


def last_event(ticket: Ticket) -> TicketEvent:
    return TicketEvent.objects.filter(ticket=ticket).order_by("pk").last()


def events_of(ticket: Ticket) -> list[tuple]:
    return list(
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("pk")
        .values_list("kind", "actor", "from_status", "to_status", "data")
    )


# --- claim -----------------------------------------------------------------------------------


def test_claim_by_a_group_member_assigns_and_opens_the_ticket(org):
    ticket = TicketFactory(team=org.presales1)

    services.ticket_claim(actor=org.agent2, ticket=ticket.pk)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (org.agent2, Status.OPEN)
    assert ticket.assigned_at is not None
    assert events_of(ticket)[1:] == [
        (Kind.CLAIMED, org.agent2.pk, Status.NEW, Status.OPEN, {"to": "李四", "previous": ""})
    ]


def test_claim_of_ones_own_ticket_again_changes_nothing(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    snapshot = stored(ticket)

    services.ticket_claim(actor=org.agent, ticket=ticket)

    assert stored(ticket) == snapshot


def test_claim_by_second_agent_is_refused_naming_the_winner(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    snapshot = stored(ticket)

    with pytest.raises(services.TicketAlreadyClaimed) as excinfo:
        services.ticket_claim(actor=org.agent2, ticket=ticket)

    assert excinfo.value.code == "already_claimed"
    assert excinfo.value.messages == [f"{ticket.number} was just taken by 张三."]
    assert stored(ticket) == snapshot


def test_claim_from_another_groups_queue_is_refused(org):
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(PermissionDenied) as excinfo:
        services.ticket_claim(actor=org.agent_p2, ticket=ticket)

    assert str(excinfo.value) == "This ticket belongs to another group's queue."
    assert stored(ticket) == snapshot


def test_agent_who_has_not_passed_onboarding_cannot_claim(org):
    rookie = StaffFactory(
        name="王新人", status="probation", onboarding_passed=False, team=org.presales1
    )
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.ticket_claim(actor=rookie, ticket=ticket)

    assert str(excinfo.value) == "王新人 has not passed onboarding yet and cannot take tickets."
    assert stored(ticket) == snapshot


def test_agent_on_leave_cannot_claim(org):
    away = StaffFactory(name="刘休假", status=Staff.Status.ON_LEAVE, team=org.presales1)
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.ticket_claim(actor=away, ticket=ticket)

    assert str(excinfo.value) == "刘休假 is not on post (On leave) and cannot take tickets."
    assert stored(ticket) == snapshot


def test_claim_of_a_closed_ticket_is_refused(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_close(actor=org.supervisor, ticket=ticket, reason="重复工单")
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_claim(actor=org.agent, ticket=ticket)

    assert excinfo.value.messages == ["Only tickets still in work can be assigned."]
    assert stored(ticket) == snapshot


# --- assign ----------------------------------------------------------------------------------


def test_supervisor_assigns_to_a_group_member(org):
    ticket = TicketFactory(team=org.presales1)

    services.ticket_assign(actor=org.supervisor, ticket=ticket, assignee=org.agent2)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (org.agent2, Status.OPEN)
    assert events_of(ticket)[1:] == [
        (
            Kind.ASSIGNED,
            org.supervisor.pk,
            Status.NEW,
            Status.OPEN,
            {"to": "李四", "previous": ""},
        )
    ]


def test_manager_reassigns_within_the_department_recording_the_previous_assignee(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)

    services.ticket_assign(actor=org.manager, ticket=ticket, assignee=org.agent2)

    ticket.refresh_from_db()
    assert ticket.assignee == org.agent2
    assert events_of(ticket)[-1] == (
        Kind.ASSIGNED,
        org.manager.pk,
        "",
        "",
        {"to": "李四", "previous": "张三"},
    )


def test_supervisor_takes_a_ticket_back_to_the_queue(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)

    services.ticket_assign(actor=org.supervisor, ticket=ticket, assignee=None)

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.assigned_at, ticket.status) == (None, None, Status.OPEN)
    assert events_of(ticket)[-1] == (
        Kind.UNASSIGNED,
        org.supervisor.pk,
        "",
        "",
        {"previous": "张三"},
    )


def test_assign_to_someone_outside_the_group_is_refused(org):
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_assign(actor=org.supervisor, ticket=ticket, assignee=org.agent_p2)

    assert excinfo.value.message_dict == {"assignee": ["钱五 is not in 售前一组."]}
    assert stored(ticket) == snapshot


@pytest.mark.parametrize("who", ["agent", "agent2", "supervisor2", "manager_b"])
def test_assign_by_someone_not_leading_the_group_is_refused(org, who):
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.ticket_assign(actor=getattr(org, who), ticket=ticket, assignee=org.agent)

    assert str(excinfo.value) == "Only the team's supervisor or manager may do this."
    assert stored(ticket) == snapshot


def test_bulk_assign_reports_each_ticket_assigned_or_refused(org):
    first = TicketFactory(team=org.presales1)
    second = TicketFactory(team=org.presales1)
    other_group = TicketFactory(team=org.complaints)
    closed = TicketFactory(team=org.presales1)
    services.ticket_close(actor=org.supervisor, ticket=closed, reason="骚扰信息")
    untouched = {ticket.pk: stored(ticket) for ticket in (other_group, closed)}

    result = services.ticket_bulk_assign(
        actor=org.supervisor,
        tickets=[first, second.pk, other_group, closed.pk],
        assignee=org.agent2,
    )

    assert result == {
        "assigned": [first.number, second.number],
        "refused": {
            other_group.number: "Only the team's supervisor or manager may do this.",
            closed.number: "Only tickets still in work can be assigned.",
        },
    }
    assert set(Ticket.objects.filter(assignee=org.agent2)) == {first, second}
    assert {pk: stored(Ticket(pk=pk)) for pk in untouched} == untouched


# --- auto-assignment -------------------------------------------------------------------------


def give(agent: Staff, count: int, org) -> None:
    """Put ``count`` open tickets on the agent's desk."""
    for _ in range(count):
        services.ticket_assign(
            actor=org.supervisor, ticket=TicketFactory(team=org.presales1), assignee=agent
        )


def worked_before(agent: Staff, hours_ago: int, org) -> None:
    """The agent's last assignment was ``hours_ago``; that ticket is resolved since."""
    ticket = TicketFactory(team=org.presales1, category=CategoryFactory())
    services.ticket_assign(actor=org.supervisor, ticket=ticket, assignee=agent)
    services.ticket_resolve(actor=agent, ticket=ticket, resolution_summary="已处理。")
    Ticket.objects.filter(pk=ticket.pk).update(
        assigned_at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )


def test_auto_assign_picks_the_least_loaded_member_who_may_take_it(org):
    StaffFactory(name="王新人", status="probation", onboarding_passed=False, team=org.presales1)
    StaffFactory(name="刘休假", status=Staff.Status.ON_LEAVE, team=org.presales1)
    StaffFactory(name="陈电话", skills=["phone", "complaint"], team=org.presales1)
    give(org.agent, 2, org)
    give(org.agent2, 1, org)
    ticket = TicketFactory(team=org.presales1, type="logistics", channel="chat")

    chosen = services.ticket_auto_assign(ticket=ticket)

    ticket.refresh_from_db()
    assert chosen == org.agent2
    assert (ticket.assignee, ticket.status) == (org.agent2, Status.OPEN)
    assert events_of(ticket)[-1] == (
        Kind.ASSIGNED,
        None,
        Status.NEW,
        Status.OPEN,
        {"to": "李四", "previous": "", "auto": True},
    )


@pytest.mark.parametrize("skills", [["logistics"], ["chat", "English"]])
def test_auto_assign_takes_a_member_skilled_in_the_type_or_the_channel(org, skills):
    skilled = StaffFactory(name="周专长", skills=skills, team=org.presales1)
    give(org.agent, 1, org)
    give(org.agent2, 1, org)
    ticket = TicketFactory(team=org.presales1, type="logistics", channel="chat")

    assert services.ticket_auto_assign(ticket=ticket) == skilled


@pytest.mark.parametrize(
    ("hours_ago", "chosen"),
    [({"agent": 3, "agent2": 1}, "agent"), ({"agent": 1, "agent2": 3}, "agent2")],
    ids=["zhang-waited-longer", "li-waited-longer"],
)
def test_auto_assign_breaks_ties_by_the_longest_wait_since_last_assignment(org, hours_ago, chosen):
    for who, hours in hours_ago.items():
        worked_before(getattr(org, who), hours, org)
    ticket = TicketFactory(team=org.presales1)

    assert services.ticket_auto_assign(ticket=ticket) == getattr(org, chosen)


def test_auto_assign_prefers_a_member_never_assigned_among_equals(org):
    worked_before(org.agent, 30, org)
    worked_before(org.agent2, 30, org)
    newcomer = StaffFactory(name="吴新同事", team=org.presales1)

    assert services.ticket_auto_assign(ticket=TicketFactory(team=org.presales1)) == newcomer


def test_auto_assign_returns_none_when_nobody_qualifies(org):
    staff_update(actor=None, staff=org.agent_b, status=Staff.Status.ON_LEAVE)
    StaffFactory(name="郑技能", skills=["phone"], team=org.complaints)
    ticket = TicketFactory(team=org.complaints, channel="chat")
    snapshot = stored(ticket)

    assert services.ticket_auto_assign(ticket=ticket) is None

    assert stored(ticket) == snapshot


def test_auto_assign_by_someone_not_leading_the_group_is_refused(org):
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed):
        services.ticket_auto_assign(ticket=ticket, actor=org.agent)

    assert stored(ticket) == snapshot


def test_auto_assign_leaves_an_assigned_ticket_alone(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    snapshot = stored(ticket)

    assert services.ticket_auto_assign(ticket=ticket, actor=org.supervisor) == org.agent

    assert stored(ticket) == snapshot


# --- hand-over at offboarding ----------------------------------------------------------------


def test_offboarding_hands_open_tickets_to_a_colleague(org):
    waiting = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=waiting)
    services.ticket_set_status(actor=org.agent, ticket=waiting, status=Status.PENDING_CUSTOMER)
    working = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=working)
    done = TicketFactory(team=org.presales1, category=CategoryFactory())
    services.ticket_claim(actor=org.agent, ticket=done)
    services.ticket_resolve(actor=org.agent, ticket=done, resolution_summary="已退款。")
    events_before = len(events_of(working))

    staff_offboard(actor=org.supervisor, staff=org.agent, accounts_returned=["agent"])

    assert list(
        Ticket.objects.order_by("pk").values_list("number", "assignee__name", "status")
    ) == [
        (waiting.number, "李四", Status.PENDING_CUSTOMER),
        (working.number, "李四", Status.OPEN),
        (done.number, "张三", Status.RESOLVED),
    ]
    assert events_of(working)[events_before:] == [
        (
            Kind.UNASSIGNED,
            org.supervisor.pk,
            "",
            "",
            {"previous": "张三", "reason": "offboarding"},
        ),
        (Kind.ASSIGNED, None, "", "", {"to": "李四", "previous": "", "auto": True}),
    ]


def test_offboarding_returns_tickets_to_the_queue_when_nobody_can_take_them(org):
    ticket = TicketFactory(team=org.complaints)
    services.ticket_claim(actor=org.agent_b, ticket=ticket)

    staff_offboard(actor=org.manager_b, staff=org.agent_b, accounts_returned=["agent_b"])

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.assigned_at, ticket.status) == (None, None, Status.OPEN)
    assert last_event(ticket).kind == Kind.UNASSIGNED


def test_offboarding_clears_escalations_to_the_leaver(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    services.ticket_escalate(actor=org.agent, ticket=ticket, reason="顾客要求主管回电")

    staff_offboard(actor=org.manager, staff=org.supervisor, accounts_returned=["supervisor"])

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.escalated_to) == (org.agent, None)
