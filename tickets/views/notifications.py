"""The bell: unread count (refreshed with htmx), the list, mark read, email preferences."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from csmanage.params import id_param
from staff.models import Staff
from staff.selectors import staff_of
from tickets.models import Notification
from tickets.services import notifications as service

LIST_SIZE = 100


class PreferenceForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Also send me an email for"),
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _staff(request: HttpRequest) -> Staff:
    staff = staff_of(request.user)
    if staff is None:
        raise PermissionDenied
    return staff


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    unread = Notification.objects.filter(recipient=staff, read_at__isnull=True).count()
    return render(request, "tickets/_bell.html", {"unread": unread})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    wanted = service.email_kinds_for([staff.pk])[staff.pk]
    form = PreferenceForm(request.POST or None, initial={"email_kinds": sorted(wanted)})
    if request.method == "POST" and form.is_valid():
        service.notification_preference_set(
            staff=staff, email_kinds=form.cleaned_data["email_kinds"]
        )
        messages.success(request, _("Preferences saved."))
        return redirect("tickets:notifications")
    rows = Notification.objects.filter(recipient=staff).select_related("ticket")[:LIST_SIZE]
    return render(request, "tickets/notifications.html", {"notifications": rows, "form": form})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    posted = request.POST.getlist("id")
    # "Mark all read" posts no id; ids that are no number mark nothing, not everything.
    ids = [pk for pk in map(id_param, posted) if pk is not None] if posted else None
    service.notifications_mark_read(staff=staff, ids=ids)
    return redirect("tickets:notifications")
