"""Every write to the organisation: teams, staff records, offboarding.

``actor`` is the staff member doing it; ``None`` means the system itself (data loading
commands), which is not checked against a scope.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import OffboardingRecord, Staff, Team
from staff.permissions import ADMIN_ROLES, assignable_roles
from staff.selectors import scope_for

User = get_user_model()
Role = Staff.Role

#: Fields of a staff record that ``staff_update`` may change.
STAFF_EDITABLE_FIELDS = (
    "name",
    "role",
    "team",
    "reports_to",
    "specialisation",
    "skills",
    "mobile",
    "hire_date",
    "status",
    "confidentiality_signed_on",
    "onboarding_passed",
)


# --- teams -----------------------------------------------------------------------------


def _team_path(team: Team) -> str:
    return f"{team.parent.path if team.parent else '/'}{team.pk}/"


def team_check(*, team: Team | None, name: str, kind: str, parent: Team | None) -> None:
    """Raise ValidationError unless the team fits the tree (部门 → 组)."""
    errors: dict[str, str] = {}
    if Team.objects.filter(name=name).exclude(pk=getattr(team, "pk", None)).exists():
        errors["name"] = _("A team with this name already exists.")
    if kind == Team.Kind.GROUP and parent is None:
        errors["parent"] = _("A group must belong to a department.")
    if parent is not None and parent.kind != Team.Kind.DEPARTMENT:
        errors["parent"] = _("Teams can only be placed under a department.")
    if team is not None and team.pk is not None:
        if parent is not None and parent.path.startswith(team.path):
            errors["parent"] = _("A team cannot be moved under itself or its own sub-teams.")
        if kind == Team.Kind.GROUP and team.children.exists():
            errors["kind"] = _("A team with sub-teams must stay a department.")
        if kind != team.kind and team.leader_id is not None:
            errors["kind"] = _("Remove the leader before changing the kind of team.")
    if errors:
        raise ValidationError(errors)


def _team_in_scope(actor: Staff, team: Team) -> bool:
    return Team.objects.filter(scope_for(actor.user).teams_q(), pk=team.pk).exists()


def team_permission_check(*, actor: Staff | None, team: Team | None, parent: Team | None) -> None:
    """Raise PermissionDenied unless the actor may create/change ``team`` under ``parent``.

    The director and HR shape the whole tree; a manager only inside their department.
    """
    if actor is None or actor.role in (Role.DIRECTOR, Role.HR):
        return
    if actor.role != Role.MANAGER:
        raise PermissionDenied(_("Your role may not change the organisation."))
    if team is not None and not _team_in_scope(actor, team):
        raise PermissionDenied(_("This team is outside your scope."))
    if parent is None or not _team_in_scope(actor, parent):
        raise PermissionDenied(
            _("Only the director or HR may change teams outside your department.")
        )


@transaction.atomic
def team_create(*, actor: Staff | None, name: str, kind: str, parent: Team | None = None) -> Team:
    team_permission_check(actor=actor, team=None, parent=parent)
    team_check(team=None, name=name, kind=kind, parent=parent)
    team = Team.objects.create(name=name, kind=kind, parent=parent, path="")
    team.path = _team_path(team)
    team.save(update_fields=["path"])
    return team


@transaction.atomic
def team_update(
    *, actor: Staff | None, team: Team, name: str, kind: str, parent: Team | None
) -> Team:
    """Rename, re-kind or move a team; moving carries its whole subtree along."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    team_permission_check(actor=actor, team=team, parent=parent)
    team_check(team=team, name=name, kind=kind, parent=parent)
    old_path = team.path
    team.name, team.kind, team.parent = name, kind, parent
    team.path = _team_path(team)
    team.save(update_fields=["name", "kind", "parent", "path", "updated_at"])
    if team.path != old_path:
        for descendant in Team.objects.filter(path__startswith=old_path).exclude(pk=team.pk):
            descendant.path = team.path + descendant.path[len(old_path) :]
            descendant.save(update_fields=["path"])
    return team


def _leader_role(team: Team) -> str:
    return Role.SUPERVISOR if team.kind == Team.Kind.GROUP else Role.MANAGER


def team_leader_check(*, team: Team, leader: Staff | None) -> None:
    """A group is led by a supervisor of that group, a department by one of its managers."""
    if leader is None:
        return
    if leader.team_id != team.pk or leader.role != _leader_role(team):
        raise ValidationError(
            {
                "leader": _("The leader of %(team)s must be a %(role)s of that team.")
                % {"team": team.name, "role": Role(_leader_role(team)).label}
            }
        )
    if leader.status == Staff.Status.LEFT:
        raise ValidationError({"leader": _("Someone who has left cannot lead a team.")})


@transaction.atomic
def team_set_leader(*, actor: Staff | None, team: Team, leader: Staff | None) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    team_permission_check(actor=actor, team=team, parent=team.parent)
    team_leader_check(team=team, leader=leader)
    if leader is not None:
        Team.objects.filter(leader=leader).exclude(pk=team.pk).update(leader=None)
    team.leader = leader
    team.save(update_fields=["leader", "updated_at"])
    return team


# --- staff -----------------------------------------------------------------------------


def _ensure_may_manage_staff(
    actor: Staff | None, *, staff: Staff | None, role: str, team: Team | None
) -> None:
    """The actor may create or edit this record: in scope, roles and teams they may give."""
    if actor is None:
        return
    allowed_roles = assignable_roles(actor.role)
    if staff is not None and staff.pk == actor.pk and actor.role != Role.DIRECTOR:
        raise PermissionDenied(_("You cannot change your own staff record."))
    if staff is not None:
        if not Staff.objects.filter(scope_for(actor.user).q(), pk=staff.pk).exists():
            raise PermissionDenied(_("This person is outside your scope."))
        if staff.role not in allowed_roles:
            raise PermissionDenied(
                _("Your role may not edit a %(role)s.") % {"role": staff.get_role_display()}
            )
    if role not in allowed_roles:
        raise ValidationError(
            {"role": _("Your role may not give the role %(role)s.") % {"role": Role(role).label}}
        )
    if actor.role in (Role.DIRECTOR, Role.HR):
        return
    if (
        team is None
        or not Team.objects.filter(scope_for(actor.user).teams_q(), pk=team.pk).exists()
    ):
        raise ValidationError({"team": _("Choose a team within your scope.")})


def _reporting_cycle(staff: Staff, reports_to: Staff | None) -> bool:
    seen: set[int] = set()
    current = reports_to
    while current is not None and current.pk not in seen:
        if current.pk == staff.pk:
            return True
        seen.add(current.pk)
        current = current.reports_to
    return False


def staff_check(
    *,
    staff: Staff | None,
    role: str,
    team: Team | None,
    reports_to: Staff | None,
    status: str,
) -> None:
    """Raise ValidationError unless the record keeps the organisation's invariants."""
    errors: dict[str, str] = {}
    if role == Role.SUPERVISOR and (team is None or team.kind != Team.Kind.GROUP):
        errors["team"] = _("A supervisor leads a group: choose a group.")
    elif role == Role.MANAGER and (team is None or team.kind != Team.Kind.DEPARTMENT):
        errors["team"] = _("A manager runs a department: choose a department.")
    elif role in (Role.SUPERVISOR, Role.MANAGER) and team is not None:
        leader = team.leader
        if leader is not None and leader.pk != getattr(staff, "pk", None) and leader.is_active:
            errors["team"] = _("%(team)s is already led by %(leader)s.") % {
                "team": team.name,
                "leader": leader.name,
            }
    if reports_to is not None:
        if staff is not None and staff.pk is not None and _reporting_cycle(staff, reports_to):
            errors["reports_to"] = _("This would make a reporting cycle.")
        elif reports_to.status == Staff.Status.LEFT:
            errors["reports_to"] = _("Someone who has left cannot be a manager of record.")
    if status == Staff.Status.LEFT and (staff is None or staff.status != Staff.Status.LEFT):
        errors["status"] = _("Use offboarding to record that someone has left.")
    elif staff is not None and staff.status == Staff.Status.LEFT and status != Staff.Status.LEFT:
        errors["status"] = _("Someone who has left cannot be given another status.")
    if errors:
        raise ValidationError(errors)


def staff_validate(
    *,
    actor: Staff | None,
    staff: Staff | None,
    role: str,
    team: Team | None,
    reports_to: Staff | None,
    status: str,
) -> None:
    """The checks ``staff_create``/``staff_update`` make, for forms to show before saving."""
    try:
        _ensure_may_manage_staff(actor, staff=staff, role=role, team=team)
    except PermissionDenied as denied:
        raise ValidationError(str(denied)) from denied
    staff_check(staff=staff, role=role, team=team, reports_to=reports_to, status=status)


def _fresh_team(team: Team) -> Team:
    """The team as stored now: callers may hold a copy from before a leader changed."""
    return Team.objects.select_related("leader", "parent__leader").get(pk=team.pk)


def _default_reports_to(role: str, team: Team | None) -> Staff | None:
    """The natural line manager: group leader, then department leader, then the director."""
    if role in (Role.SPECIALIST, Role.QA_INSPECTOR) and team is not None:
        if team.leader is not None:
            return team.leader
        if team.parent is not None:
            return team.parent.leader
    if role == Role.SUPERVISOR and team is not None and team.parent is not None:
        return team.parent.leader
    if role != Role.DIRECTOR:
        return (
            Staff.objects.filter(role=Role.DIRECTOR)
            .exclude(status=Staff.Status.LEFT)
            .order_by("pk")
            .first()
        )
    return None


def _sync_account(staff: Staff) -> None:
    """Admin access follows the role; login follows the status."""
    user = staff.user
    user.is_staff = staff.role in ADMIN_ROLES and staff.is_active
    user.is_active = staff.is_active
    user.save(update_fields=["is_staff", "is_active"])


def _sync_leadership(staff: Staff) -> None:
    Team.objects.filter(leader=staff).exclude(pk=staff.team_id).update(leader=None)
    if staff.team is not None and staff.role == _leader_role(staff.team):
        if staff.team.leader_id is None:
            Team.objects.filter(pk=staff.team_id).update(leader=staff)
    else:
        Team.objects.filter(leader=staff).update(leader=None)


@transaction.atomic
def staff_create(
    *,
    actor: Staff | None,
    username: str,
    employee_number: str,
    name: str,
    role: str,
    hire_date: datetime.date,
    team: Team | None = None,
    email: str = "",
    password: str | None = None,
    reports_to: Staff | None = None,
    specialisation: str = "",
    skills: Iterable[str] = (),
    mobile: str = "",
    status: str = Staff.Status.PROBATION,
    confidentiality_signed_on: datetime.date | None = None,
    onboarding_passed: bool = False,
) -> Staff:
    """Open a login account and its staff record together (专人专号).

    Without a password the account cannot log in until one is set. A supervisor of a
    group without a leader becomes its leader (likewise a manager of a department).
    """
    if team is not None:
        team = _fresh_team(team)
    _ensure_may_manage_staff(actor, staff=None, role=role, team=team)
    errors: dict[str, str] = {}
    if User.objects.filter(username=username).exists():
        errors["username"] = _("This login name is already taken.")
    if Staff.objects.filter(employee_number=employee_number).exists():
        errors["employee_number"] = _("This employee number is already in use.")
    if errors:
        raise ValidationError(errors)
    if reports_to is None:
        reports_to = _default_reports_to(role, team)
    staff_check(staff=None, role=role, team=team, reports_to=reports_to, status=status)
    user = User(username=username, email=email)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    staff = Staff.objects.create(
        user=user,
        employee_number=employee_number,
        name=name,
        role=role,
        team=team,
        reports_to=reports_to,
        specialisation=specialisation,
        skills=list(skills),
        mobile=mobile,
        hire_date=hire_date,
        status=status,
        confidentiality_signed_on=confidentiality_signed_on,
        onboarding_passed=onboarding_passed,
    )
    _sync_account(staff)
    _sync_leadership(staff)
    return staff


@transaction.atomic
def staff_update(*, actor: Staff | None, staff: Staff, **changes: object) -> Staff:
    """Change fields of a staff record (see ``STAFF_EDITABLE_FIELDS``), keeping invariants."""
    unknown = set(changes) - set(STAFF_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"staff_update cannot change {sorted(unknown)}")
    staff = (
        Staff.objects.select_for_update(of=("self",))
        .select_related("team", "user")
        .get(pk=staff.pk)
    )
    role = changes.get("role", staff.role)
    team = changes.get("team", staff.team)
    if team is not None:
        team = changes["team"] = _fresh_team(team)
    reports_to = changes.get("reports_to", staff.reports_to)
    _ensure_may_manage_staff(actor, staff=staff, role=role, team=team)
    staff_check(
        staff=staff,
        role=role,
        team=team,
        reports_to=reports_to,
        status=changes.get("status", staff.status),
    )
    if "skills" in changes:
        changes["skills"] = list(changes["skills"])
    for field, value in changes.items():
        setattr(staff, field, value)
    staff.save()
    _sync_account(staff)
    _sync_leadership(staff)
    return staff


@transaction.atomic
def staff_offboard(
    *,
    actor: Staff | None,
    staff: Staff,
    left_on: datetime.date | None = None,
    accounts_returned: Iterable[str] = (),
    reason: str = "",
    notes: str = "",
) -> OffboardingRecord:
    """离职: disable the login, record the account hand-back, hand the person's work on.

    Their direct reports move to their own manager; teams they led lose their leader; their
    open tickets go back to their groups' queues (auto-assigned where someone can take them).
    """
    from tickets.services import tickets_hand_over  # tickets builds on staff, not the reverse

    staff = Staff.objects.select_for_update(of=("self",)).select_related("user").get(pk=staff.pk)
    if staff.status == Staff.Status.LEFT:
        raise ValidationError(_("%(name)s has already left.") % {"name": staff.name})
    if actor is not None:
        _ensure_may_manage_staff(actor, staff=staff, role=staff.role, team=staff.team)
    left_on = left_on or timezone.localdate()
    staff.direct_reports.update(reports_to=staff.reports_to)
    Team.objects.filter(leader=staff).update(leader=None)
    staff.status = Staff.Status.LEFT
    staff.left_on = left_on
    staff.save(update_fields=["status", "left_on", "updated_at"])
    _sync_account(staff)
    tickets_hand_over(leaver=staff, actor=actor)
    return OffboardingRecord.objects.create(
        staff=staff,
        left_on=left_on,
        processed_by=actor,
        accounts_returned=[account.strip() for account in accounts_returned if account.strip()],
        reason=reason,
        notes=notes,
    )


@transaction.atomic
def accounts_set_password(*, users: Iterable, password: str) -> int:
    """Give many accounts one password, hashed once (demo data and bulk resets)."""
    return User.objects.filter(pk__in=[user.pk for user in users]).update(
        password=make_password(password)
    )
