"""Admin pieces every app shares."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from csmanage.params import id_param


class KeyListFilter(admin.SimpleListFilter):
    """A list filter whose options are records, by key. A value that is no key (typed
    into the address bar) is a bad lookup, as for the admin's own filters: the list
    reloads unfiltered with ``?e=1`` rather than failing in the database."""

    def key(self) -> int | None:
        """The chosen record's key, None when nothing is chosen."""
        value = self.value()
        if not value:
            return None
        key = id_param(value)
        if key is None:
            raise IncorrectLookupParameters(f"{self.parameter_name}={value!r}")
        return key


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """Field history of records in the user's scope only, and never a revert: a revert
    would write the record without its service. (simple_history's own views look the
    record up outside ``get_queryset``.)"""

    def _in_scope(self, request: HttpRequest, object_id: str) -> bool:
        try:
            return self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            return False

    def history_view(self, request, object_id, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self._in_scope(request, object_id):
            raise Http404
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None) -> bool:
        return True
