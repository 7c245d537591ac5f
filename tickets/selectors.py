"""Reads of tickets and customers, scoped by ``staff.selectors.scope_for``."""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from staff.models import Staff, Team
from staff.selectors import scope_for, staff_of
from tickets.models import (
    Customer,
    CustomerPhone,
    Macro,
    Message,
    SlaPolicy,
    Ticket,
    TicketEvent,
    normalise_phone,
)

TICKET_NUMBER = re.compile(r"^CS-\d{6}-\d{6,}$", re.IGNORECASE)
PHONE_LIKE = re.compile(r"^[+\d][\d\s-]{3,}$")

QUEUES = ("mine", "team", "unassigned", "escalated")
#: What a queue row shows.
ROW_FIELDS = (
    "pk", "number", "subject", "priority", "status", "type", "channel", "opened_at",
    "escalation_level", "team__name", "assignee__name", "customer__name",
    "first_response_due", "next_response_due", "resolution_due", "sla_state",
)  # fmt: skip
SLA_FILTERS = ("breached", "due_1h", "paused")
SORTS = {
    "due": (F("resolution_due").asc(nulls_last=True), "-created_at", "-pk"),
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "priority": ("priority", "-created_at", "-pk"),
    "updated": ("-updated_at", "-pk"),
}


def _ticket_rows() -> QuerySet[Ticket]:
    """Tickets with what a list row shows already joined."""
    return Ticket.objects.select_related("assignee", "team", "customer", "shop")


def ticket_list_for(*, user: AbstractBaseUser) -> QuerySet[Ticket]:
    """Every ticket the user may see, with what a list row shows already joined."""
    return _ticket_rows().filter(scope_for(user).tickets_q())


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


def _queue_team_q(staff: Staff) -> Q:
    """The tickets of the user's own queue: their group's (a manager's: their department's,
    the director's: everyone's)."""
    if staff.role == Staff.Role.DIRECTOR:
        return Q(pk__isnull=False)
    if staff.team is None:
        return Q(pk__in=[])
    if staff.role == Staff.Role.MANAGER:
        subtree = Team.objects.filter(path__startswith=staff.team.path).values_list("pk", flat=True)
        return Q(team_id__in=list(subtree))
    return Q(team_id=staff.team_id)


def queue_filter(
    queryset: QuerySet[Ticket], *, staff: Staff | None, queue: str, open_only: bool = True
) -> QuerySet[Ticket]:
    """The four agent views. "Team queue" is the open work of the user's group (a manager's:
    their department); "Unassigned" is that queue's unclaimed part. With ``open_only``
    off (a status was asked for), finished tickets of the view are included.

    Each view lies inside the user's scope (see ``scope_for``), so it needs no scope filter
    of its own — which keeps the query on one index."""
    if staff is None:
        return queryset.none()
    open_work = queryset.filter(status__in=Ticket.IN_WORK) if open_only else queryset
    if queue == "mine":
        return open_work.filter(assignee=staff)
    if queue == "escalated":
        return open_work.filter(escalated_to=staff)
    open_work = open_work.filter(_queue_team_q(staff))
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
    sla: str = ""
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
            sla=pick("sla", SLA_FILTERS),
            q=params.get("q", "").strip()[:100],
            sort=params.get("sort") if params.get("sort") in SORTS else "newest",
        )


def sla_filter_q(name: str, now: datetime.datetime | None = None) -> Q:
    """ "breached" (a running target is past due, or one was missed), "due_1h" (a target
    falls due within the hour), "paused" (waiting on the customer)."""
    now = now or timezone.now()
    dues = ("first_response_due", "next_response_due", "resolution_due")
    if name == "breached":
        overdue = Q(sla_state=Ticket.SlaState.BREACHED)
        for field in dues:
            overdue |= Q(**{f"{field}__lte": now})
        return overdue
    if name == "due_1h":
        soon = Q(pk__in=[])
        for field in dues:
            soon |= Q(**{f"{field}__gt": now, f"{field}__lte": now + datetime.timedelta(hours=1)})
        return soon
    return Q(sla_state=Ticket.SlaState.PAUSED)


def ticket_search(queryset: QuerySet[Ticket], text: str) -> QuerySet[Ticket]:
    """Ticket number, customer phone (full, or its last digits), order number, or text."""
    text = text.strip()
    if not text:
        return queryset
    if TICKET_NUMBER.match(text):
        return queryset.filter(number=text.upper())
    digits = normalise_phone(text)
    if PHONE_LIKE.match(text) and len(digits) >= 4:
        # The customers first (a small list), so the ticket query stays on its indexes.
        phones = CustomerPhone.objects.filter(
            Q(normalised=digits) if len(digits) >= 11 else Q(normalised__endswith=digits)
        )
        customer_ids = list(phones.values_list("customer_id", flat=True)[:500])
        return queryset.filter(Q(customer_id__in=customer_ids) | Q(order_ref=text))
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
    if query.sla:
        tickets = tickets.filter(sla_filter_q(query.sla))
    return tickets.order_by(*SORTS[query.sort])


def page_of(tickets: QuerySet[Ticket], *, start: int, size: int) -> list[dict[str, Any]]:
    """One page of rows, plus one more to tell whether a next page exists: for each ticket
    the values of ``ROW_FIELDS`` and ``tags``, its tag names in order.

    The page's ids come first from the sort index alone; only those rows are then joined
    to their assignee, customer…, so a deep page costs little more than the first. Rows are
    plain values rather than model instances: building fifty tickets, their related records
    and their tag managers cost more than the SQL."""
    ids = list(tickets.values_list("pk", flat=True)[start : start + size + 1])
    by_pk = {
        row["pk"]: {**row, "tags": []}
        for row in Ticket.objects.filter(pk__in=ids).order_by().values(*ROW_FIELDS)
    }
    tagged = (
        Ticket.tags.through.objects.filter(ticket_id__in=ids)
        .order_by("tag__name", "tag_id")
        .values_list("ticket_id", "tag__name")
    )
    for ticket_id, name in tagged:
        if ticket_id in by_pk:  # not deleted between the two reads
            by_pk[ticket_id]["tags"].append(name)
    return [by_pk[pk] for pk in ids if pk in by_pk]


def queue_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """How many open tickets each view holds, in one query over the user's open work."""
    staff = staff_of(user)
    if staff is None or not scope_for(user).tickets:
        return dict.fromkeys(QUEUES, 0)
    mine, escalated = Q(assignee=staff), Q(escalated_to=staff)
    team = (
        _queue_team_q(staff) if staff.team_id or staff.role == Staff.Role.DIRECTOR else Q(pk__in=[])
    )
    return (
        Ticket.objects.filter(status__in=Ticket.IN_WORK)
        .filter(mine | escalated | team)
        .aggregate(
            mine=Count("pk", filter=mine),
            escalated=Count("pk", filter=escalated),
            team=Count("pk", filter=team),
            unassigned=Count("pk", filter=team & Q(assignee__isnull=True)),
        )
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


def sla_policy_for(ticket: Ticket, *, exclude: SlaPolicy | None = None) -> SlaPolicy | None:
    """The first active policy (in order) whose conditions match the ticket, or None."""
    tier = ticket.customer.tier if ticket.customer_id else ""
    policies = SlaPolicy.objects.filter(is_active=True).select_related("calendar")
    if exclude is not None:
        policies = policies.exclude(pk=exclude.pk)
    for policy in policies:
        if policy.matches(
            type=ticket.type, priority=ticket.priority, channel=ticket.channel, customer_tier=tier
        ):
            return policy
    return None
