"""回访 list: the callbacks due for me (or my group, for a lead), and recording a call."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from staff.models import Staff
from tickets.models import Callback
from tickets.services.callbacks import callback_record
from tickets.views.common import _error_text, _staff_or_403


class CallbackForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Callback.Outcome.choices)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=1000)


def _callbacks_for(staff: Staff):
    mine = Q(assignee=staff)
    if staff.role in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER) and staff.team is not None:
        mine |= Q(ticket__team__path__startswith=staff.team.path)
    elif staff.role == Staff.Role.DIRECTOR:
        mine = Q()
    return Callback.objects.filter(mine, status=Callback.Status.SCHEDULED).select_related(
        "ticket__customer", "assignee"
    )


@login_required
def callback_list(request: HttpRequest) -> HttpResponse:
    staff = _staff_or_403(request)
    return render(
        request,
        "tickets/callbacks.html",
        {"callbacks": _callbacks_for(staff).order_by("due_at")[:200], "form": CallbackForm()},
    )


@login_required
@require_POST
def callback_record_view(request: HttpRequest, callback_id: int) -> HttpResponse:
    staff = _staff_or_403(request)
    callback = _callbacks_for(staff).filter(pk=callback_id).first()
    if callback is None:
        raise Http404
    form = CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(form.errors)))
        return redirect("tickets:callbacks")
    try:
        callback_record(actor=staff, callback=callback, **form.cleaned_data)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("Callback recorded for %(number)s.") % {"number": callback.ticket.number}
        )
    return redirect("tickets:callbacks")
