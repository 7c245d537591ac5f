"""The ticket lifecycle: the state machine, who may move a ticket, and what each move records."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone, translation

from tests.tickets.factories import CategoryFactory, MacroFactory, TicketFactory
from tickets import services
from tickets.models import Attachment, Message, Ticket, TicketCounter, TicketEvent
from tickets.permissions import TicketNotAllowed
from tickets.selectors import macros_for, ticket_get_for, ticket_list_for

Status = Ticket.Status
Kind = TicketEvent.Kind
NEW, OPEN, RESOLVED, CLOSED = Status.NEW, Status.OPEN, Status.RESOLVED, Status.CLOSED
WAIT_CUSTOMER, WAIT_INTERNAL = Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL
IN_WORK = (NEW, OPEN, WAIT_CUSTOMER, WAIT_INTERNAL)

#: Every move the business allows. Closing a ticket still in work (spam, duplicate) is a
#: lead's decision with a reason, outside the ordinary TRANSITIONS table.
ALLOWED = {
    (NEW, OPEN), (NEW, WAIT_CUSTOMER), (NEW, WAIT_INTERNAL), (NEW, RESOLVED), (NEW, CLOSED),
    (OPEN, WAIT_CUSTOMER), (OPEN, WAIT_INTERNAL), (OPEN, RESOLVED), (OPEN, CLOSED),
    (WAIT_CUSTOMER, OPEN), (WAIT_CUSTOMER, WAIT_INTERNAL), (WAIT_CUSTOMER, RESOLVED),
    (WAIT_CUSTOMER, CLOSED),
    (WAIT_INTERNAL, OPEN), (WAIT_INTERNAL, WAIT_CUSTOMER), (WAIT_INTERNAL, RESOLVED),
    (WAIT_INTERNAL, CLOSED),
    (RESOLVED, CLOSED), (RESOLVED, OPEN),
    (CLOSED, OPEN),
}  # fmt: skip
LEAD_CLOSES = {(status, CLOSED) for status in IN_WORK}
#: Picking the status a ticket already has is accepted and changes nothing.
UNCHANGED = {(OPEN, OPEN), (WAIT_CUSTOMER, WAIT_CUSTOMER), (WAIT_INTERNAL, WAIT_INTERNAL)}
EVENT_OF_MOVE = {RESOLVED: Kind.RESOLVED, CLOSED: Kind.CLOSED}

PAIRS = [(before, after) for before in Status.values for after in Status.values]


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the zh-hans catalogue is translated separately."""
    with translation.override("en"):
        yield


def stored(ticket: Ticket) -> tuple:
    """The ticket's row, events, messages and attachments as stored (compared around a refusal)."""
    return (
        Ticket.objects.values().get(pk=ticket.pk),
        list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True)),
        list(Message.objects.filter(ticket=ticket).values_list("pk", flat=True)),
        list(Attachment.objects.filter(message__ticket=ticket).values_list("pk", flat=True)),
    )


def last_event(ticket: Ticket) -> TicketEvent:
    return TicketEvent.objects.filter(ticket=ticket).order_by("pk").last()


def ticket_in(status: str, org) -> Ticket:
    """A 售前一组 ticket brought to ``status`` through the services, worked by 张三."""
    ticket = TicketFactory(team=org.presales1, category=CategoryFactory(name="物流"))
    if status != NEW:
        services.ticket_claim(actor=org.agent, ticket=ticket)
    if status in (WAIT_CUSTOMER, WAIT_INTERNAL):
        services.ticket_set_status(actor=org.agent, ticket=ticket, status=status)
    if status in (RESOLVED, CLOSED):
        services.ticket_resolve(actor=org.agent, ticket=ticket, resolution_summary="已补发。")
    if status == CLOSED:
        services.ticket_close(actor=org.agent, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


def move(ticket: Ticket, to_status: str, actor) -> Ticket:
    """Attempt a move with the service meant for it."""
    if to_status == RESOLVED:
        return services.ticket_resolve(actor=actor, ticket=ticket, resolution_summary="已退款。")
    if to_status == CLOSED:
        return services.ticket_close(actor=actor, ticket=ticket, reason="重复工单")
    if to_status == OPEN and ticket.status in (RESOLVED, CLOSED):
        return services.ticket_reopen(actor=actor, ticket=ticket, reason="顾客仍未收到货")
    return services.ticket_set_status(actor=actor, ticket=ticket, status=to_status)


def move_back(ticket: Ticket, **delta) -> None:
    """Pretend the ticket ended ``delta`` ago (no clock mocking: the stored times move)."""
    ago = timezone.now() - datetime.timedelta(**delta)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=ago if ticket.resolved_at else None,
        closed_at=ago if ticket.closed_at else None,
    )


# --- the state machine -----------------------------------------------------------------


def test_transitions_table_is_the_allowed_moves_except_a_leads_close():
    table = {
        (before, after) for before, targets in services.TRANSITIONS.items() for after in targets
    }

    assert table == ALLOWED - LEAD_CLOSES
    assert set(services.TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{b}->{a}" for b, a in PAIRS])
def test_every_move_is_allowed_exactly_when_the_rules_allow_it(org, before, after):
    ticket = ticket_in(before, org)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    snapshot = stored(ticket)

    if (before, after) in ALLOWED:
        move(ticket, after, org.supervisor)

        ticket.refresh_from_db()
        event = last_event(ticket)
        reopened = after == OPEN and before in (RESOLVED, CLOSED)
        expected_kind = Kind.REOPENED if reopened else EVENT_OF_MOVE.get(after, Kind.STATUS)
        assert ticket.status == after
        assert TicketEvent.objects.filter(ticket=ticket).count() == events_before + 1
        assert (event.kind, event.actor, event.from_status, event.to_status) == (
            expected_kind,
            org.supervisor,
            before,
            after,
        )
    elif (before, after) in UNCHANGED:
        move(ticket, after, org.supervisor)

        assert stored(ticket) == snapshot
    else:
        with pytest.raises(services.IllegalTransition) as excinfo:
            move(ticket, after, org.supervisor)

        assert isinstance(excinfo.value, ValidationError)
        assert excinfo.value.code == "illegal_transition"
        assert excinfo.value.messages == [
            f"A ticket that is {Status(before).label} cannot become {Status(after).label}."
        ]
        assert stored(ticket) == snapshot


@pytest.mark.parametrize("ended", [RESOLVED, CLOSED])
def test_status_change_cannot_reopen_an_ended_ticket(org, ended):
    ticket = ticket_in(ended, org)
    snapshot = stored(ticket)

    with pytest.raises(services.IllegalTransition):
        services.ticket_set_status(actor=org.agent, ticket=ticket, status=OPEN)

    assert stored(ticket) == snapshot


def test_reopen_of_a_ticket_still_in_work_is_refused(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(services.IllegalTransition):
        services.ticket_reopen(actor=org.agent, ticket=ticket, reason="顾客又来电")

    assert stored(ticket) == snapshot


def test_claim_records_the_move_from_new_to_open(org):
    ticket = TicketFactory(team=org.presales1)

    services.ticket_claim(actor=org.agent, ticket=ticket)

    event = last_event(ticket)
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        Kind.CLAIMED,
        org.agent,
        NEW,
        OPEN,
    )


def test_creation_is_recorded_with_its_author(org):
    ticket = TicketFactory(team=org.presales1, actor=org.agent, channel=Ticket.Channel.PHONE)

    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "actor", "data")) == [
        (Kind.CREATED, org.agent.pk, {"channel": "phone"})
    ]
    assert ticket.status == NEW
    assert ticket.created_by == org.agent


# --- who may work a ticket ---------------------------------------------------------------

WORKERS = {
    "agent": True,  # the assignee
    "agent2": False,  # a colleague in the same group
    "supervisor": True,
    "manager": True,
    "director": True,
    "supervisor2": False,  # another group of the same department
    "manager_b": False,  # another department
}


def reply(ticket, actor):
    services.ticket_reply(actor=actor, ticket=ticket, body="您好，已为您催促快递。")


def wait_on_customer(ticket, actor):
    services.ticket_set_status(actor=actor, ticket=ticket, status=WAIT_CUSTOMER)


def resolve(ticket, actor):
    services.ticket_resolve(actor=actor, ticket=ticket, resolution_summary="快递已签收。")


WORK = {"reply": reply, "set_status": wait_on_customer, "resolve": resolve}
EXPECTED_AFTER_WORK = {"reply": OPEN, "set_status": WAIT_CUSTOMER, "resolve": RESOLVED}


@pytest.mark.parametrize("action", WORK)
@pytest.mark.parametrize(("who", "allowed"), WORKERS.items(), ids=WORKERS.keys())
def test_who_may_work_an_assigned_ticket(org, who, allowed, action):
    ticket = ticket_in(OPEN, org)
    actor = getattr(org, who)
    snapshot = stored(ticket)

    if allowed:
        WORK[action](ticket, actor)

        ticket.refresh_from_db()
        assert ticket.status == EXPECTED_AFTER_WORK[action]
        assert ticket.assignee == org.agent
        assert last_event(ticket).actor == actor
    else:
        with pytest.raises(TicketNotAllowed) as excinfo:
            WORK[action](ticket, actor)

        assert str(excinfo.value) == "This ticket is assigned to 张三."
        assert stored(ticket) == snapshot


def test_manager_of_another_department_cannot_even_see_the_ticket(org):
    ticket = ticket_in(OPEN, org)

    assert ticket not in ticket_list_for(user=org.manager_b.user)
    with pytest.raises(Http404):
        ticket_get_for(user=org.manager_b.user, number=ticket.number)
    assert ticket_get_for(user=org.manager.user, number=ticket.number) == ticket


def test_unassigned_ticket_must_be_claimed_before_a_status_change(org):
    ticket = TicketFactory(team=org.presales1)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.ticket_set_status(actor=org.agent, ticket=ticket, status=OPEN)

    assert str(excinfo.value) == "Claim this ticket first."
    assert stored(ticket) == snapshot


# --- resolve, close, reopen ----------------------------------------------------------------


def test_resolve_without_summary_or_category_is_refused_field_by_field(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_resolve(actor=org.agent, ticket=ticket, resolution_summary="  ")

    assert excinfo.value.message_dict == {
        "resolution_summary": ["Write how the problem was resolved."],
        "category": ["Choose a category before resolving."],
    }
    assert stored(ticket) == snapshot


def test_resolve_records_summary_category_and_time(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    category = CategoryFactory(name="快递延误")

    services.ticket_resolve(
        actor=org.agent, ticket=ticket, resolution_summary="  已联系快递加急。 ", category=category
    )

    ticket.refresh_from_db()
    assert ticket.status == RESOLVED
    assert ticket.resolution_summary == "已联系快递加急。"
    assert ticket.category == category
    assert ticket.resolved_at is not None


def test_assignee_may_close_a_resolved_ticket_without_a_reason(org):
    ticket = ticket_in(RESOLVED, org)

    services.ticket_close(actor=org.agent, ticket=ticket)

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert ticket.status == CLOSED
    assert ticket.closed_at is not None
    assert (event.kind, event.actor, event.from_status, event.data) == (
        Kind.CLOSED,
        org.agent,
        RESOLVED,
        {"reason": ""},
    )


def test_assignee_may_not_close_an_unresolved_ticket(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.ticket_close(actor=org.agent, ticket=ticket, reason="重复工单")

    assert str(excinfo.value) == "Only the team's supervisor or manager may do this."
    assert stored(ticket) == snapshot


def test_lead_closing_an_unresolved_ticket_must_give_a_reason(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_close(actor=org.supervisor, ticket=ticket, reason=" ")

    assert excinfo.value.message_dict == {"reason": ["Say why an unresolved ticket is closed."]}
    assert stored(ticket) == snapshot


def test_lead_closes_an_unresolved_ticket_with_a_reason(org):
    ticket = ticket_in(WAIT_INTERNAL, org)

    services.ticket_close(actor=org.manager, ticket=ticket, reason=" 骚扰信息 ")

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert ticket.status == CLOSED
    assert (event.kind, event.actor, event.from_status, event.to_status, event.data) == (
        Kind.CLOSED,
        org.manager,
        WAIT_INTERNAL,
        CLOSED,
        {"reason": "骚扰信息"},
    )


@pytest.mark.parametrize("ended", [RESOLVED, CLOSED])
def test_reopen_within_the_window(org, settings, ended):
    settings.TICKET_REOPEN_WINDOW_DAYS = 3
    ticket = ticket_in(ended, org)
    move_back(ticket, days=2, hours=23)

    services.ticket_reopen(actor=org.agent, ticket=ticket, reason=" 顾客说还没收到 ")

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert ticket.status == OPEN
    assert ticket.reopen_count == 1
    assert (ticket.resolved_at, ticket.closed_at) == (None, None)
    assert (event.kind, event.actor, event.from_status, event.to_status, event.data) == (
        Kind.REOPENED,
        org.agent,
        ended,
        OPEN,
        {"reason": "顾客说还没收到"},
    )


@pytest.mark.parametrize("ended", [RESOLVED, CLOSED])
def test_reopen_after_the_window_is_refused(org, settings, ended):
    settings.TICKET_REOPEN_WINDOW_DAYS = 3
    ticket = ticket_in(ended, org)
    move_back(ticket, days=3, minutes=1)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_reopen(actor=org.agent, ticket=ticket, reason="顾客说还没收到")

    assert excinfo.value.messages == [
        "This ticket ended more than 3 days ago and cannot be reopened; open a new one."
    ]
    assert stored(ticket) == snapshot


def test_reopen_without_a_reason_is_refused(org):
    ticket = ticket_in(RESOLVED, org)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_reopen(actor=org.agent, ticket=ticket, reason="")

    assert excinfo.value.message_dict == {"reason": ["Say why the ticket is reopened."]}
    assert stored(ticket) == snapshot


def test_reopened_twice_counts_twice(org):
    ticket = ticket_in(RESOLVED, org)
    services.ticket_reopen(actor=org.agent, ticket=ticket, reason="第一次")
    services.ticket_resolve(actor=org.agent, ticket=ticket, resolution_summary="再次补发。")

    services.ticket_reopen(actor=org.agent, ticket=ticket, reason="第二次")

    ticket.refresh_from_db()
    assert ticket.reopen_count == 2


# --- the customer writes ---------------------------------------------------------------------


def test_customer_message_moves_a_ticket_waiting_on_the_customer_to_open(org):
    ticket = ticket_in(WAIT_CUSTOMER, org)

    message = services.ticket_customer_message(ticket=ticket, body=" 单号是SF123 ", channel="chat")

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert ticket.status == OPEN
    assert (message.kind, message.author, message.body, message.channel) == (
        Message.Kind.CUSTOMER,
        None,
        "单号是SF123",
        "chat",
    )
    assert (event.kind, event.actor, event.from_status, event.to_status, event.data) == (
        Kind.CUSTOMER_MESSAGE,
        None,
        WAIT_CUSTOMER,
        OPEN,
        {"message": message.pk},
    )


def test_customer_message_on_an_open_ticket_keeps_its_status(org):
    ticket = ticket_in(WAIT_INTERNAL, org)

    services.ticket_customer_message(ticket=ticket, body="有进展吗？")

    ticket.refresh_from_db()
    assert ticket.status == WAIT_INTERNAL
    assert (last_event(ticket).kind, last_event(ticket).from_status) == (Kind.CUSTOMER_MESSAGE, "")


def test_customer_message_reopens_a_resolved_ticket_within_the_window(org, settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 7
    ticket = ticket_in(RESOLVED, org)
    move_back(ticket, days=6)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    services.ticket_customer_message(ticket=ticket, body="还是没收到货")

    ticket.refresh_from_db()
    new_events = list(
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("pk")
        .values_list("kind", "actor", "from_status", "to_status")[events_before:]
    )
    assert (ticket.status, ticket.reopen_count, ticket.resolved_at) == (OPEN, 1, None)
    assert new_events == [
        (Kind.REOPENED, None, RESOLVED, OPEN),
        (Kind.CUSTOMER_MESSAGE, None, "", ""),
    ]


def test_customer_message_on_a_ticket_closed_past_the_window_is_refused(org, settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 7
    ticket = ticket_in(CLOSED, org)
    move_back(ticket, days=8)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError):
        services.ticket_customer_message(ticket=ticket, body="在吗")

    assert stored(ticket) == snapshot


# --- replies and notes ---------------------------------------------------------------------


def test_first_public_reply_sets_first_response_once(org):
    ticket = ticket_in(OPEN, org)

    first = services.ticket_reply(actor=org.agent, ticket=ticket, body="您好，正在为您查询。")
    services.ticket_reply(actor=org.agent, ticket=ticket, body="已查到，明天送达。")

    ticket.refresh_from_db()
    assert ticket.first_response_at == first.created_at
    assert Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY).count() == 2


def test_internal_note_is_not_a_first_response(org):
    ticket = ticket_in(OPEN, org)

    note = services.ticket_add_note(actor=org.agent2, ticket=ticket, body="这个顾客上周也来过")

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert ticket.first_response_at is None
    assert note.kind == Message.Kind.NOTE
    assert note.is_public is False
    assert (event.kind, event.actor, event.data) == (Kind.NOTED, org.agent2, {"message": note.pk})


def test_reply_to_an_unassigned_ticket_claims_it_and_opens_it(org):
    ticket = TicketFactory(team=org.presales1)

    services.ticket_reply(actor=org.agent2, ticket=ticket, body="您好！")

    ticket.refresh_from_db()
    kinds = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind"))
    assert (ticket.assignee, ticket.status) == (org.agent2, OPEN)
    assert kinds == [(Kind.CREATED,), (Kind.CLAIMED,), (Kind.REPLIED,)]


def test_reply_can_leave_the_ticket_waiting_on_the_customer(org):
    ticket = ticket_in(OPEN, org)

    message = services.ticket_reply(
        actor=org.agent, ticket=ticket, body="请提供订单截图。", then_status=WAIT_CUSTOMER
    )

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert ticket.status == WAIT_CUSTOMER
    assert (event.kind, event.from_status, event.to_status, event.data) == (
        Kind.REPLIED,
        OPEN,
        WAIT_CUSTOMER,
        {"message": message.pk},
    )


def test_empty_reply_is_refused(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_reply(actor=org.agent, ticket=ticket, body="   ")

    assert excinfo.value.message_dict == {"body": ["Write a message or attach a file."]}
    assert stored(ticket) == snapshot


# --- escalation and transfer ---------------------------------------------------------------


def test_escalation_ladder_goes_to_the_supervisor_then_the_manager(org):
    ticket = ticket_in(OPEN, org)

    services.ticket_escalate(actor=org.agent, ticket=ticket, reason=" 顾客要求主管回电 ")
    ticket.refresh_from_db()
    first = last_event(ticket)
    services.ticket_escalate(actor=org.supervisor, ticket=ticket, reason="要求赔偿超出权限")
    ticket.refresh_from_db()
    second = last_event(ticket)

    assert (ticket.escalation_level, ticket.escalated_to) == (2, org.manager)
    assert (first.kind, first.actor, first.data) == (
        Kind.ESCALATED,
        org.agent,
        {"level": 1, "to": "李主管", "reason": "顾客要求主管回电"},
    )
    assert (second.kind, second.actor, second.data) == (
        Kind.ESCALATED,
        org.supervisor,
        {"level": 2, "to": "王经理", "reason": "要求赔偿超出权限"},
    )


def test_third_escalation_is_refused(org):
    ticket = ticket_in(OPEN, org)
    services.ticket_escalate(actor=org.agent, ticket=ticket, reason="顾客要求主管回电")
    services.ticket_escalate(actor=org.supervisor, ticket=ticket, reason="要求赔偿超出权限")
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_escalate(actor=org.manager, ticket=ticket, reason="还要再升级")

    assert excinfo.value.messages == ["There is nobody higher to escalate this ticket to."]
    assert stored(ticket) == snapshot


def test_escalation_without_a_reason_is_refused(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_escalate(actor=org.agent, ticket=ticket, reason="  ")

    assert excinfo.value.message_dict == {"reason": ["Say why the ticket is escalated."]}
    assert stored(ticket) == snapshot


def test_escalation_by_a_colleague_is_refused(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(TicketNotAllowed):
        services.ticket_escalate(actor=org.agent2, ticket=ticket, reason="帮同事升级")

    assert stored(ticket) == snapshot


def test_transfer_to_another_group_clears_assignee_and_escalation(org):
    ticket = ticket_in(OPEN, org)
    services.ticket_escalate(actor=org.agent, ticket=ticket, reason="顾客要投诉")

    services.ticket_transfer(actor=org.agent, ticket=ticket, team=org.complaints, reason=" 转投诉 ")

    ticket.refresh_from_db()
    event = last_event(ticket)
    assert (ticket.team, ticket.assignee, ticket.assigned_at) == (org.complaints, None, None)
    assert (ticket.escalation_level, ticket.escalated_to) == (0, None)
    assert ticket.status == OPEN
    assert (event.kind, event.actor, event.data) == (
        Kind.TRANSFERRED,
        org.agent,
        {"from_team": "售前一组", "to_team": "投诉组", "reason": "转投诉"},
    )


def test_transfer_to_a_department_is_refused(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_transfer(
            actor=org.agent, ticket=ticket, team=org.aftersales, reason="转售后"
        )

    assert excinfo.value.message_dict == {
        "team": ["Tickets are queued for a group: choose a group."]
    }
    assert stored(ticket) == snapshot


def test_transfer_without_a_reason_is_refused(org):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_transfer(actor=org.agent, ticket=ticket, team=org.complaints, reason="")

    assert excinfo.value.message_dict == {"reason": ["Say why the ticket is transferred."]}
    assert stored(ticket) == snapshot


# --- numbers ---------------------------------------------------------------------------------


def test_ticket_numbers_are_consecutive_within_the_month(org):
    tickets = [TicketFactory(team=org.presales1) for _ in range(3)]

    period = timezone.localtime(tickets[0].opened_at).strftime("%Y%m")
    assert [ticket.number for ticket in tickets] == [
        f"CS-{period}-000001",
        f"CS-{period}-000002",
        f"CS-{period}-000003",
    ]
    assert all(re.fullmatch(r"CS-\d{6}-\d{6}", ticket.number) for ticket in tickets)


def test_each_month_has_its_own_counter(org):
    TicketCounter.objects.create(period="202001", last=41)

    ticket = TicketFactory(team=org.presales1)

    period = timezone.localtime(ticket.opened_at).strftime("%Y%m")
    assert ticket.number == f"CS-{period}-000001"
    assert TicketCounter.objects.get(period="202001").last == 41


def test_ticket_for_a_department_is_refused(org):
    with pytest.raises(ValidationError) as excinfo:
        TicketFactory(team=org.presales)

    assert excinfo.value.message_dict == {
        "team": ["Tickets are queued for a group: choose a group."]
    }
    assert not Ticket.objects.exists()
    assert not TicketEvent.objects.exists()


# --- attachments -----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_attachment_of_an_accepted_type_is_stored(org, media):
    ticket = ticket_in(OPEN, org)
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test", content_type="application/pdf")

    message = services.ticket_reply(
        actor=org.agent, ticket=ticket, body="发票已开具。", attachments=[upload]
    )

    attachment = message.attachments.get()
    path = f"attachments/{ticket.created_at:%Y/%m}/{ticket.number}/invoice.pdf"
    assert (attachment.name, attachment.size, attachment.content_type) == (
        "invoice.pdf",
        13,
        "application/pdf",
    )
    assert attachment.file.name == path
    assert (media / path).read_bytes() == b"%PDF-1.4 test"


def test_attachment_alone_is_a_message(org, media):
    ticket = ticket_in(OPEN, org)
    upload = SimpleUploadedFile("快递单.png", b"\x89PNG-data", content_type="image/png")

    message = services.ticket_add_note(
        actor=org.agent, ticket=ticket, body="", attachments=[upload]
    )

    assert message.body == ""
    assert list(message.attachments.values_list("name", "content_type")) == [
        ("快递单.png", "image/png")
    ]


def test_attachment_of_a_refused_type_writes_nothing(org, media):
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)
    upload = SimpleUploadedFile("setup.EXE", b"MZ...", content_type="application/octet-stream")

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_reply(actor=org.agent, ticket=ticket, body="请查收", attachments=[upload])

    assert excinfo.value.message_dict == {
        "attachments": ["setup.EXE: files of this type are not accepted."]
    }
    assert stored(ticket) == snapshot
    assert not Message.objects.exists()
    assert list(media.rglob("*")) == []


def test_oversized_attachment_writes_nothing(org, media, settings):
    settings.TICKET_ATTACHMENT_MAX_BYTES = 10
    ticket = ticket_in(OPEN, org)
    snapshot = stored(ticket)
    small = SimpleUploadedFile("ok.txt", b"0123456789", content_type="text/plain")
    large = SimpleUploadedFile("big.txt", b"0123456789A", content_type="text/plain")

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_add_note(
            actor=org.agent, ticket=ticket, body="日志", attachments=[small, large]
        )

    assert list(excinfo.value.message_dict) == ["attachments"]
    assert excinfo.value.message_dict["attachments"][0].startswith("big.txt is larger than")
    assert stored(ticket) == snapshot
    assert not Message.objects.exists()
    assert list(media.rglob("*")) == []


# --- canned replies --------------------------------------------------------------------------


def test_macros_of_the_group_its_department_and_everyone(org):
    ticket = TicketFactory(team=org.presales1)
    group = MacroFactory(title="售前一组问候", team=org.presales1)
    department = MacroFactory(title="售前部退款话术", team=org.presales)
    everyone = MacroFactory(title="通用结束语", team=None)
    MacroFactory(title="售前二组问候", team=org.presales2)
    MacroFactory(title="投诉安抚", team=org.complaints)
    MacroFactory(title="停用话术", team=None, is_active=False)

    assert set(macros_for(ticket)) == {group, department, everyone}


@pytest.mark.parametrize("who", ["qa", "hr", "manager_b", "agent_b"])
def test_internal_note_needs_the_ticket_in_scope(org, who):
    ticket = TicketFactory(team=org.presales1)

    with pytest.raises(TicketNotAllowed):
        services.ticket_add_note(actor=getattr(org, who), ticket=ticket, body="看一下")

    assert not Message.objects.exists()


def test_a_colleague_of_the_group_may_leave_a_note(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)

    note = services.ticket_add_note(actor=org.agent2, ticket=ticket, body="这位顾客上周也来电过")

    assert (note.kind, note.author) == (Message.Kind.NOTE, org.agent2)


def test_size_limit_message_is_readable_below_a_megabyte(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TICKET_ATTACHMENT_MAX_BYTES = 500 * 1024
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    upload = SimpleUploadedFile("big.pdf", b"x" * (600 * 1024))

    with pytest.raises(ValidationError) as excinfo:
        services.ticket_reply(actor=org.agent, ticket=ticket, body="见附件", attachments=[upload])

    assert excinfo.value.message_dict["attachments"] == ["big.pdf is larger than 500.0\xa0KB."]
