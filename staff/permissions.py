"""What each role may do. Model permissions follow the role (see ``StaffRoleBackend``);
*which records* a role sees is the scope rule in ``staff.selectors.scope_for``."""

from staff.models import Staff

Role = Staff.Role

#: Roles that work in the admin site.
ADMIN_ROLES = frozenset({Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.HR, Role.QA_INSPECTOR})

_ORG_READ = {"staff.view_staff", "staff.view_team"}
_ORG_WRITE = {"staff.add_staff", "staff.change_staff", "staff.add_team", "staff.change_team"}
_OFFBOARDING = {"staff.view_offboardingrecord"}
_SCHEDULES = {
    f"django_celery_beat.{action}_{model}"
    for action in ("view", "add", "change", "delete")
    for model in ("periodictask", "crontabschedule", "intervalschedule", "clockedschedule")
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(_ORG_READ | _ORG_WRITE | _OFFBOARDING | _SCHEDULES),
    Role.MANAGER: frozenset(_ORG_READ | _ORG_WRITE | _OFFBOARDING),
    Role.HR: frozenset(_ORG_READ | _ORG_WRITE | _OFFBOARDING),
    Role.SUPERVISOR: frozenset(_ORG_READ | {"staff.change_staff"}),
    Role.QA_INSPECTOR: frozenset(_ORG_READ),
    Role.SPECIALIST: frozenset(),
}

#: Roles each role may give to (or edit on) someone else's record.
_ASSIGNABLE: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(Role.values),
    Role.HR: frozenset(Role.values) - {Role.DIRECTOR},
    Role.MANAGER: frozenset({Role.SUPERVISOR, Role.SPECIALIST, Role.QA_INSPECTOR}),
    Role.SUPERVISOR: frozenset({Role.SPECIALIST}),
}


def assignable_roles(role: str) -> frozenset[str]:
    return _ASSIGNABLE.get(role, frozenset())
