"""What the queue UI's views share."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from staff.models import Staff
from staff.selectors import scope_for, staff_of

PAGE_SIZE = 50
PRESENCE_SECONDS = 30
HISTORY_ROWS = 10


def _staff_or_403(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    if staff is None or not scope_for(request.user).tickets:
        raise PermissionDenied(_("Your role does not work with tickets."))
    return staff


def _error_text(error: Exception) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error)])


def _form_errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, _error_text(error))
