"""Reads of tickets and customers, scoped by ``staff.selectors.scope_for``."""

import re
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from staff.models import Staff
from staff.selectors import scope_for, staff_of
from tickets.models import (
    Customer,
    CustomerPhone,
    Macro,
    Message,
    Ticket,
    TicketEvent,
    normalise_phone,
)

TICKET_NUMBER = re.compile(r"^CS-\d{6}-\d{6,}$", re.IGNORECASE)
PHONE_LIKE = re.compile(r"^[+\d][\d\s-]{3,}$")

QUEUES = ("mine", "team", "unassigned", "escalated")
SORTS = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "priority": ("priority", "-created_at", "-pk"),
    "updated": ("-updated_at", "-pk"),
}


def ticket_list_for(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Every ticket the user may see, with what a list row shows already joined."""
    return Ticket.objects.filter(scope_for(user).tickets_q()).select_related(
        "assignee", "team", "customer", "shop"
    )


def ticket_get_for(*, user: AbstractBaseUser, number: str) -> Ticket:
    """One ticket by number, within scope; out of scope is indistinguishable from missing."""
    try:
        return (
            ticket_list_for(user=user)
            .select_related("category", "root_cause", "escalated_to", "team__parent", "created_by")
            .get(number=number.upper())
        )
    except Ticket.DoesNotExist:
        raise Http404 from None


def queue_filter(
    queryset: QuerySet[Ticket], *, staff: Staff | None, queue: str
) -> QuerySet[Ticket]:
    """The four agent views. "Team queue" is the open work of the user's group (a manager's:
    their department); "Unassigned" is that queue's unclaimed part."""
    open_work = queryset.filter(status__in=Ticket.IN_WORK)
    if staff is None:
        return open_work.none()
    if queue == "mine":
        return open_work.filter(assignee=staff)
    if queue == "escalated":
        return open_work.filter(escalated_to=staff)
    team_q = Q()
    if staff.role == Staff.Role.MANAGER and staff.team is not None:
        team_q = Q(team__path__startswith=staff.team.path)
    elif staff.role != Staff.Role.DIRECTOR:
        team_q = Q(team_id=staff.team_id)
    open_work = open_work.filter(team_q)
    if queue == "unassigned":
        return open_work.filter(assignee__isnull=True)
    return open_work


@dataclass
class QueueQuery:
    """What the queue page was asked for (already validated)."""

    queue: str = "mine"
    status: str = ""
    priority: str = ""
    type: str = ""
    channel: str = ""
    tag: str = ""
    q: str = ""
    sort: str = "newest"

    @classmethod
    def from_params(cls, queue: str, params) -> "QueueQuery":
        def pick(name: str, allowed) -> str:
            value = params.get(name, "")
            return value if value in allowed else ""

        return cls(
            queue=queue if queue in QUEUES else "mine",
            status=pick("status", Ticket.Status.values),
            priority=pick("priority", Ticket.Priority.values),
            type=pick("type", Ticket.Type.values),
            channel=pick("channel", Ticket.Channel.values),
            tag=params.get("tag", "")[:50],
            q=params.get("q", "").strip()[:100],
            sort=params.get("sort") if params.get("sort") in SORTS else "newest",
        )


def ticket_search(queryset: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """Ticket number, customer phone (full, or its last digits), order number, or text."""
    text = text.strip()
    if not text:
        return queryset
    if TICKET_NUMBER.match(text):
        return queryset.filter(number=text.upper())
    digits = normalise_phone(text)
    if PHONE_LIKE.match(text) and len(digits) >= 4:
        phones = CustomerPhone.objects.filter(
            Q(normalised=digits) if len(digits) >= 11 else Q(normalised__endswith=digits)
        )
        by_phone = Q(customer_id__in=phones.values("customer_id"))
        return queryset.filter(by_phone | Q(order_ref=text))
    return queryset.filter(Q(order_ref=text) | Q(search_text__contains=text.lower()))


def queue_tickets(*, user: AbstractBaseUser, query: QueueQuery) -> QuerySet[Ticket]:
    """The rows of one queue view: filtered, searched, sorted."""
    staff = staff_of(user)
    tickets = ticket_list_for(user=user)
    if query.q:
        # A search looks across every ticket in scope, whatever the view or status.
        tickets = ticket_search(tickets, query.q)
    else:
        tickets = queue_filter(tickets, staff=staff, queue=query.queue)
    for field in ("status", "priority", "type", "channel"):
        if getattr(query, field):
            tickets = tickets.filter(**{field: getattr(query, field)})
    if query.tag:
        tickets = tickets.filter(tags__name=query.tag)
    return tickets.order_by(*SORTS[query.sort])


def queue_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """How many open tickets each view holds, in one query."""
    staff = staff_of(user)
    base = ticket_list_for(user=user).filter(status__in=Ticket.IN_WORK)
    if staff is None:
        return dict.fromkeys(QUEUES, 0)
    team_rows = queue_filter(base, staff=staff, queue="team")
    team_q = Q(pk__in=team_rows.values("pk"))
    return base.aggregate(
        mine=Count("pk", filter=Q(assignee=staff)),
        escalated=Count("pk", filter=Q(escalated_to=staff)),
        team=Count("pk", filter=team_q),
        unassigned=Count("pk", filter=team_q & Q(assignee__isnull=True)),
    )


def ticket_conversation(ticket: Ticket) -> QuerySet[Message]:
    return ticket.messages.select_related("author").prefetch_related("attachments")


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor").order_by("-created_at", "-pk")


def macros_for(ticket: Ticket) -> QuerySet[Macro]:
    """Canned replies of the ticket's group and department, and everyone's."""
    teams = [ticket.team_id] + ([ticket.team.parent_id] if ticket.team.parent_id else [])
    return Macro.objects.filter(Q(team__isnull=True) | Q(team_id__in=teams), is_active=True)


def customer_list_for(*, user: AbstractBaseUser) -> QuerySet[Customer]:
    """Customers, for anyone who works tickets; merged-away records are left out."""
    if not scope_for(user).tickets:
        return Customer.objects.none()
    return Customer.objects.filter(merged_into__isnull=True).prefetch_related(
        Prefetch("phones", queryset=CustomerPhone.objects.order_by("pk")), "accounts__shop", "tags"
    )


def customer_get_for(*, user: AbstractBaseUser, customer_id: int) -> Customer:
    if not scope_for(user).tickets:
        raise Http404
    try:
        return Customer.objects.prefetch_related("phones", "accounts__shop", "tags").get(
            pk=customer_id
        )
    except Customer.DoesNotExist:
        raise Http404 from None


def customer_duplicates(customer: Customer) -> QuerySet[Customer]:
    """Other customers sharing one of this customer's phone numbers: likely the same person."""
    numbers = customer.phones.values("normalised")
    return (
        Customer.objects.filter(merged_into__isnull=True, phones__normalised__in=numbers)
        .exclude(pk=customer.pk)
        .distinct()
    )


def with_duplicate_flag(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate ``likely_duplicate``: another live customer has one of the same phones."""
    shared = CustomerPhone.objects.filter(
        normalised=OuterRef("normalised"), customer__merged_into__isnull=True
    ).exclude(customer_id=OuterRef("customer_id"))
    duplicated_phone = CustomerPhone.objects.filter(customer_id=OuterRef("pk")).filter(
        Exists(shared)
    )
    return customers.annotate(likely_duplicate=Exists(duplicated_phone))


def customer_tickets_for(*, user: AbstractBaseUser, customer: Customer) -> QuerySet[Ticket]:
    """The customer's history, as far as the user's scope reaches."""
    return ticket_list_for(user=user).filter(customer=customer).order_by("-created_at")
