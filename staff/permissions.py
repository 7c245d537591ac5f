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

_REVEAL = {"tickets.reveal_customer_phone"}
_TICKETS_WORK = {
    "tickets.view_ticket",
    "tickets.change_ticket",
    "tickets.view_customer",
    "tickets.add_customer",
    "tickets.change_customer",
    "tickets.view_category",
    "tickets.view_rootcause",
    "tickets.view_shop",
    "tickets.view_tag",
    "tickets.view_businesscalendar",
    "tickets.view_workinginterval",
    "tickets.view_statutoryday",
    "tickets.view_slapolicy",
    "tickets.add_tag",
    "tickets.view_macro",
    "tickets.add_macro",
    "tickets.change_macro",
    "tickets.delete_macro",
}
_TICKETS_SETUP = {
    f"tickets.{action}_{model}"
    for action in ("add", "change", "delete")
    for model in (
        "category",
        "rootcause",
        "shop",
        "tag",
        "businesscalendar",
        "workinginterval",
        "statutoryday",
        "slapolicy",
    )
} | {"tickets.view_phonereveal", "tickets.view_businesscalendar", "tickets.view_statutoryday"}
#: Shops' integrations: webhook subscriptions, the delivery log (change = re-send), the
#: inbound platform events, and API keys (change = revoke).
_INTEGRATIONS = {
    f"tickets.{action}_webhooksubscription" for action in ("view", "add", "change", "delete")
} | {"tickets.view_webhookdelivery", "tickets.change_webhookdelivery", "tickets.view_inboundevent"}
_INTEGRATIONS |= {f"tickets.{action}_apikey" for action in ("view", "add", "change")}

#: Training: the catalogue, grade scales, plans, sessions and everyone's records in scope. The
#: admin offers no add, change or delete where a record comes from a service (certificates,
#: alerts); attendance, scores and decisions are saved through ``training.services``.
_TRAINING_ADMIN = {
    f"training.{action}_{model}"
    for action in ("view", "add", "change", "delete")
    for model in (
        "course",
        "coursematerial",
        "gradescale",
        "trainingplan",
        "trainingsession",
        "enrolment",
        "certificate",
        "retrainingflag",
        "trainingalert",
    )
}
#: A supervisor enrols their group and records its attendance and scores.
_TRAINING_LEAD = {
    "training.view_trainingsession",
    "training.change_trainingsession",
    "training.view_enrolment",
    "training.change_enrolment",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(
        _ORG_READ
        | _ORG_WRITE
        | _OFFBOARDING
        | _SCHEDULES
        | _TICKETS_WORK
        | _TICKETS_SETUP
        | _REVEAL
        | _INTEGRATIONS
        | _TRAINING_ADMIN
    ),
    Role.MANAGER: frozenset(
        _ORG_READ
        | _ORG_WRITE
        | _OFFBOARDING
        | _TICKETS_WORK
        | _TICKETS_SETUP
        | _REVEAL
        | _TRAINING_ADMIN
    ),
    Role.HR: frozenset(_ORG_READ | _ORG_WRITE | _OFFBOARDING | _TRAINING_ADMIN),
    Role.SUPERVISOR: frozenset(
        _ORG_READ | {"staff.change_staff"} | _TICKETS_WORK | _REVEAL | _TRAINING_LEAD
    ),
    Role.QA_INSPECTOR: frozenset(_ORG_READ),
    Role.SPECIALIST: frozenset(_REVEAL),
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
