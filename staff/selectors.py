"""Reads of the organisation, and the scope rule every view, admin page and API obeys."""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from staff.models import Staff, Team

Role = Staff.Role


@dataclass(frozen=True)
class Scope:
    """What a user may see, as query filters over staff, teams and tickets.

    ``everyone`` — all staff; else members of the teams under ``team_path`` (a department
    subtree), members of ``team_id`` (a group), and ``staff_id`` (oneself).
    ``queue_team_id`` — a specialist's group, whose ticket queue they work. ``all_tickets``
    — every ticket; ``tickets`` — whether the role works with tickets at all (HR does not
    read ticket conversations). Later records reuse the rule through :meth:`q` with the path
    of their staff relation, e.g. ``scope.q("assignee")``.
    """

    everyone: bool = False
    team_path: str | None = None
    team_id: int | None = None
    staff_id: int | None = None
    queue_team_id: int | None = None
    all_tickets: bool = False
    tickets: bool = False

    def q(self, via: str = "") -> Q:
        prefix = f"{via}__" if via else ""
        if self.everyone:
            return Q()
        condition = Q(pk__in=[])
        if self.team_path is not None:
            condition |= Q(**{f"{prefix}team__path__startswith": self.team_path})
        if self.team_id is not None:
            condition |= Q(**{f"{prefix}team_id": self.team_id})
        if self.staff_id is not None:
            condition |= Q(**{f"{prefix}pk": self.staff_id})
        return condition

    def teams_q(self) -> Q:
        """The same rule over teams: the teams whose members the user sees."""
        if self.everyone:
            return Q()
        condition = Q(pk__in=[])
        if self.team_path is not None:
            condition |= Q(path__startswith=self.team_path)
        if self.team_id is not None:
            condition |= Q(pk=self.team_id)
        return condition

    def tickets_q(self) -> Q:
        """The rule over tickets: those of the teams in scope (a specialist's own group is
        their queue), plus tickets assigned or escalated to oneself."""
        if not self.tickets:
            return Q(pk__in=[])
        if self.all_tickets:
            return Q()
        condition = Q(pk__in=[])
        if self.team_path is not None:
            condition |= Q(team__path__startswith=self.team_path)
        if self.team_id is not None:
            condition |= Q(team_id=self.team_id)
        if self.queue_team_id is not None:
            condition |= Q(team_id=self.queue_team_id)
        if self.staff_id is not None:
            condition |= Q(assignee_id=self.staff_id) | Q(escalated_to_id=self.staff_id)
        return condition


NOBODY = Scope()


def staff_of(user: AbstractBaseUser | AnonymousUser) -> Staff | None:
    """The staff record of a login, or None (anonymous, or an account without one)."""
    if not user.is_authenticated:
        return None
    try:
        return user.staff
    except Staff.DoesNotExist:
        return None


def scope_for(user: AbstractBaseUser | AnonymousUser) -> Scope:
    """The scope rule (one place): which staff and tickets a user may see.

    director → everyone, every ticket; HR → every staff record, no tickets; manager → their
    department's subtree and its tickets; supervisor → their group and its tickets;
    specialist → themselves, their group's queue and their own tickets; QA inspector →
    themselves. Tickets assigned or escalated to someone are always theirs to see. A
    superuser sees everything; an inactive, anonymous or staff-less account, or someone who
    has left, sees nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return NOBODY
    if user.is_superuser:
        return Scope(everyone=True, all_tickets=True, tickets=True)
    staff = staff_of(user)
    if staff is None or staff.status == Staff.Status.LEFT:
        return NOBODY
    if staff.role == Role.DIRECTOR:
        return Scope(everyone=True, all_tickets=True, tickets=True)
    if staff.role == Role.HR:
        return Scope(everyone=True)
    if staff.role == Role.MANAGER and staff.team is not None:
        return Scope(team_path=staff.team.path, staff_id=staff.pk, tickets=True)
    if staff.role == Role.SUPERVISOR and staff.team_id is not None:
        return Scope(team_id=staff.team_id, staff_id=staff.pk, tickets=True)
    if staff.role == Role.SPECIALIST:
        # Their own record; tickets of their group's queue and their own.
        return Scope(staff_id=staff.pk, queue_team_id=staff.team_id, tickets=True)
    return Scope(staff_id=staff.pk)


def staff_list_for(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Staff]:
    """Staff the user may see, with team, department and manager loaded."""
    return (
        Staff.objects.filter(scope_for(user).q())
        .select_related("user", "team", "team__parent", "reports_to")
        .order_by("employee_number")
    )


def staff_get_for(*, user: AbstractBaseUser | AnonymousUser, staff_id: int) -> Staff:
    """One staff record within scope; out of scope is indistinguishable from missing."""
    try:
        return staff_list_for(user=user).get(pk=staff_id)
    except Staff.DoesNotExist:
        raise Http404 from None


def team_list_for(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Team]:
    """Teams the user may see, with leader, parent and head-count of active members."""
    return (
        Team.objects.filter(scope_for(user).teams_q())
        .select_related("leader", "parent")
        .annotate(
            headcount=Count("members", filter=~Q(members__status=Staff.Status.LEFT)),
        )
        .order_by("path")
    )


def team_subtree(team: Team) -> QuerySet[Team]:
    """The team and every team below it."""
    return Team.objects.filter(path__startswith=team.path)
