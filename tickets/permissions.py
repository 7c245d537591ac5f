"""Who may do what to a ticket. Which tickets someone sees is the scope rule
(``staff.selectors.scope_for``); these checks decide what they may *do*."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from staff.models import Staff, Team
from tickets.models import Ticket

Role = Staff.Role


class TicketNotAllowed(PermissionDenied):
    """The actor may not do this to this ticket; the message says why."""


def leads_team(staff: Staff, team: Team) -> bool:
    """Is ``staff`` a lead over ``team``: its supervisor, its department's manager, the director."""
    if staff.status == Staff.Status.LEFT:
        return False
    if staff.role == Role.DIRECTOR:
        return True
    if staff.team is None:
        return False
    if staff.role == Role.SUPERVISOR:
        return team.pk == staff.team_id
    if staff.role == Role.MANAGER:
        return team.path.startswith(staff.team.path)
    return False


def is_lead(staff: Staff, ticket: Ticket) -> bool:
    return leads_team(staff, ticket.team)


def ensure_can_take_tickets(staff: Staff) -> None:
    """在岗: only staff on post who passed onboarding get tickets."""
    if staff.status == Staff.Status.PROBATION or not staff.onboarding_passed:
        raise TicketNotAllowed(
            _("%(name)s has not passed onboarding yet and cannot take tickets.")
            % {"name": staff.name}
        )
    if staff.status != Staff.Status.ON_POST:
        raise TicketNotAllowed(
            _("%(name)s is not on post (%(status)s) and cannot take tickets.")
            % {"name": staff.name, "status": staff.get_status_display()}
        )
    if staff.role not in (Role.SPECIALIST, Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR):
        raise TicketNotAllowed(_("Your role does not take tickets."))


def ensure_can_work(actor: Staff, ticket: Ticket) -> None:
    """Reply, note, change status, resolve: the assignee or a lead of the ticket's team."""
    if ticket.assignee_id == actor.pk or is_lead(actor, ticket):
        return
    if ticket.assignee_id is None:
        raise TicketNotAllowed(_("Claim this ticket first."))
    raise TicketNotAllowed(
        _("This ticket is assigned to %(name)s.") % {"name": ticket.assignee.name}
    )


def ensure_can_lead(actor: Staff, ticket: Ticket) -> None:
    """Assign, reassign, close unresolved: a lead of the ticket's team."""
    if not is_lead(actor, ticket):
        raise TicketNotAllowed(_("Only the team's supervisor or manager may do this."))


def may_reveal_phone(staff: Staff) -> bool:
    return staff.user.has_perm("tickets.reveal_customer_phone")
