from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from staff.models import Staff
from staff.permissions import ROLE_PERMISSIONS


class StaffRoleBackend(ModelBackend):
    """Django's model backend, plus the permissions of the user's staff role.

    Someone who has left has no role permissions (and cannot log in: the account is
    inactive).
    """

    def get_all_permissions(
        self, user_obj: AbstractBaseUser | AnonymousUser, obj: object = None
    ) -> set[str]:
        permissions = super().get_all_permissions(user_obj, obj)
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return permissions
        if not hasattr(user_obj, "_role_perm_cache"):
            try:
                staff = user_obj.staff
            except Staff.DoesNotExist:
                role_permissions: frozenset[str] = frozenset()
            else:
                role_permissions = (
                    frozenset()
                    if staff.status == Staff.Status.LEFT
                    else ROLE_PERMISSIONS.get(staff.role, frozenset())
                )
            user_obj._role_perm_cache = role_permissions
        return permissions | user_obj._role_perm_cache
