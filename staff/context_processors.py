from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from staff.models import Staff
from staff.selectors import staff_of

Role = Staff.Role

#: (label, url name, roles that see it). Later modules add their entries here.
_TICKET_ROLES = {Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.SPECIALIST}

NAVIGATION = (
    (_("Tickets"), "tickets:index", _TICKET_ROLES),
    (_("Callbacks"), "tickets:callbacks", _TICKET_ROLES),
    (_("Customers"), "tickets:customers", _TICKET_ROLES),
    (_("My training"), "training:mine", set(Role.values)),
    (_("Team training"), "training:team", {Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.HR}),
    (_("My profile"), "staff:me", set(Role.values)),
    (_("Organisation"), "staff:teams", {Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.HR}),
    (_("Staff"), "staff:list", {Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.HR}),
)


def _section(name: str) -> str:
    """The URL prefix a menu entry stays highlighted for (a ticket page is under Tickets)."""
    return (
        reverse(name).rstrip("/").rsplit("/", 1)[0] + "/"
        if name == "tickets:index"
        else reverse(name)
    )


def navigation(request: HttpRequest) -> dict:
    """Menu entries for the user's role, and the user's staff record as ``me``."""
    if not request.user.is_authenticated:
        return {}
    staff = staff_of(request.user)
    role = staff.role if staff else None
    items = [
        {"label": label, "url": reverse(name), "active": request.path.startswith(reverse(name))}
        for label, name, roles in NAVIGATION
        if (role in roles) or (staff is None and request.user.is_superuser)
    ]
    if request.user.is_staff:
        items.append({"label": _("Admin"), "url": reverse("admin:index"), "active": False})
    return {"navigation": items, "me": staff}
