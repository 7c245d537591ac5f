"""Who works a ticket: claim, assign, bulk assign, auto-assign, hand-over at offboarding."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Staff
from tickets.models import Ticket, TicketEvent
from tickets.permissions import ensure_can_lead, ensure_can_take_tickets, is_lead
from tickets.services.lifecycle import _locked, _record

Status = Ticket.Status


class TicketAlreadyClaimed(ValidationError):
    def __init__(self, ticket: Ticket) -> None:
        super().__init__(
            _("%(number)s was just taken by %(name)s.")
            % {"number": ticket.number, "name": ticket.assignee.name},
            code="already_claimed",
        )


def assign_locked(
    ticket: Ticket, assignee: Staff, *, actor: Staff | None, kind: str, **data
) -> None:
    """Give a locked ticket to someone able to take it (the rules every path shares)."""
    ensure_can_take_tickets(assignee)
    if not ticket.is_open:
        raise ValidationError(_("Only tickets still in work can be assigned."))
    if assignee.team_id != ticket.team_id and not is_lead(assignee, ticket):
        raise ValidationError(
            {
                "assignee": _("%(name)s is not in %(team)s.")
                % {"name": assignee.name, "team": ticket.team.name}
            }
        )
    previous = ticket.assignee
    from_status = ticket.status
    ticket.assignee, ticket.assigned_at = assignee, timezone.now()
    if ticket.status == Status.NEW:
        ticket.status = Status.OPEN
    ticket.save(update_fields=["assignee", "assigned_at", "status", "updated_at"])
    _record(
        ticket,
        kind,
        actor,
        from_status=from_status if ticket.status != from_status else "",
        to=assignee.name,
        previous=previous.name if previous else "",
        **data,
    )


@transaction.atomic
def ticket_claim(*, actor: Staff, ticket: Ticket | int) -> Ticket:
    """领取: take an unassigned ticket of one's own group. Of two agents claiming at once,
    the row lock lets exactly one win; the other is told who did."""
    ticket = _locked(ticket)
    if ticket.assignee_id is not None:
        if ticket.assignee_id == actor.pk:
            return ticket
        raise TicketAlreadyClaimed(ticket)
    if actor.team_id != ticket.team_id and not is_lead(actor, ticket):
        raise PermissionDenied(_("This ticket belongs to another group's queue."))
    assign_locked(ticket, actor, actor=actor, kind=TicketEvent.Kind.CLAIMED)
    return ticket


@transaction.atomic
def ticket_assign(*, actor: Staff, ticket: Ticket | int, assignee: Staff | None) -> Ticket:
    """分派: a lead gives the ticket to a member of its group, or takes it back to the queue."""
    ticket = _locked(ticket)
    ensure_can_lead(actor, ticket)
    if assignee is None:
        if ticket.assignee_id is not None:
            previous = ticket.assignee
            ticket.assignee, ticket.assigned_at = None, None
            ticket.save(update_fields=["assignee", "assigned_at", "updated_at"])
            _record(ticket, TicketEvent.Kind.UNASSIGNED, actor, previous=previous.name)
        return ticket
    if ticket.assignee_id == assignee.pk:
        return ticket
    assign_locked(ticket, assignee, actor=actor, kind=TicketEvent.Kind.ASSIGNED)
    return ticket


def ticket_bulk_assign(
    *, actor: Staff, tickets: Iterable[Ticket | int], assignee: Staff | None
) -> dict:
    """Assign many; each ticket on its own, so one refusal does not undo the others.
    Returns ``{"assigned": [numbers], "refused": {number: reason}}``."""
    result: dict = {"assigned": [], "refused": {}}
    for ticket in tickets:
        pk = ticket.pk if isinstance(ticket, Ticket) else ticket
        try:
            done = ticket_assign(actor=actor, ticket=pk, assignee=assignee)
        except Ticket.DoesNotExist:
            result["refused"][str(pk)] = _("No such ticket.")
        except (PermissionDenied, ValidationError) as error:
            number = Ticket.objects.values_list("number", flat=True).get(pk=pk)
            result["refused"][number] = " ".join(getattr(error, "messages", [str(error)]))
        else:
            result["assigned"].append(done.number)
    return result


def is_skilled_for(staff: Staff, ticket: Ticket) -> bool:
    """No skills listed means a generalist; else the ticket's type or channel must be listed."""
    return not staff.skills or ticket.type in staff.skills or ticket.channel in staff.skills


def auto_assign_candidates(ticket: Ticket) -> list[Staff]:
    """Group members on post who may take this ticket, least loaded first (tickets still in
    work), then the one who waited longest since their last assignment (round-robin among
    equals). A group is a few dozen people, so skills are matched here rather than in SQL."""
    in_work = Q(tickets__status__in=Ticket.IN_WORK)
    members = (
        Staff.objects.filter(
            team_id=ticket.team_id,
            role=Staff.Role.SPECIALIST,
            status=Staff.Status.ON_POST,
            onboarding_passed=True,
        )
        .annotate(load=Count("tickets", filter=in_work), last_assigned=Max("tickets__assigned_at"))
        .order_by("load", F("last_assigned").asc(nulls_first=True), "pk")
    )
    return [member for member in members if is_skilled_for(member, ticket)]


@transaction.atomic
def ticket_auto_assign(*, ticket: Ticket | int, actor: Staff | None = None) -> Staff | None:
    """Give an unassigned ticket to the least-loaded skilled member of its group on post.
    Returns who got it, or None when nobody can take it now (it stays in the queue)."""
    ticket = _locked(ticket)
    if ticket.assignee_id is not None or not ticket.is_open:
        return ticket.assignee
    if actor is not None:
        ensure_can_lead(actor, ticket)
    candidates = auto_assign_candidates(ticket)
    if not candidates:
        return None
    candidate = candidates[0]
    assign_locked(ticket, candidate, actor=actor, kind=TicketEvent.Kind.ASSIGNED, auto=True)
    return candidate


def tickets_hand_over(*, leaver: Staff, actor: Staff | None) -> list[str]:
    """Offboarding: the leaver's open tickets go back to their groups' queues and are
    auto-assigned where someone can take them. Returns the ticket numbers handed over."""
    numbers = []
    for ticket_id in Ticket.objects.filter(assignee=leaver, status__in=Ticket.IN_WORK).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            ticket = _locked(ticket_id)
            ticket.assignee, ticket.assigned_at = None, None
            ticket.save(update_fields=["assignee", "assigned_at", "updated_at"])
            _record(
                ticket,
                TicketEvent.Kind.UNASSIGNED,
                actor,
                previous=leaver.name,
                reason="offboarding",
            )
            numbers.append(ticket.number)
        ticket_auto_assign(ticket=ticket_id)
    Ticket.objects.filter(escalated_to=leaver, status__in=Ticket.IN_WORK).update(escalated_to=None)
    return numbers
