"""What the tickets admin pages share."""

import re

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from staff.models import Staff
from staff.selectors import staff_list_for

Role = Staff.Role

#: What a lead may correct on a ticket from the admin (all through ``ticket_update``).


TICKET_EDITABLE_FIELDS = (
    "subject",
    "priority",
    "type",
    "category",
    "root_cause",
    "tags",
    "complaint_reason",
    "customer_demand",
    "severity",
    "responsible_department",
    "remedy",
)
#: Roles that take tickets (``tickets.permissions.ensure_can_take_tickets``).
TICKET_TAKERS = (Role.SPECIALIST, Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR)
PHONE_SEPARATORS = re.compile(r"[,，;；\r\n]+")
NO_STAFF_RECORD = _(
    "This login has no staff record; ticket and customer work is recorded against a staff member."
)


def _reason(error: Exception) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


def _assignable_staff(user) -> QuerySet[Staff]:
    """Staff in the user's scope who can take tickets now: on post, onboarding passed."""
    return staff_list_for(user=user).filter(
        role__in=TICKET_TAKERS, status=Staff.Status.ON_POST, onboarding_passed=True
    )


class ReadOnlyInline(admin.TabularInline):
    """Rows shown with their parent, never edited here; visible to whoever sees the parent."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        opts = self.parent_model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# ── Tickets ──────────────────────────────────────────────────────────────────────────────
