"""The four queue views, their live counts and bulk assignment."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from csmanage.params import id_param, page_param
from staff.models import Staff
from staff.selectors import scope_for, staff_list_for
from tickets import services
from tickets.models import Ticket
from tickets.selectors import (
    QUEUES,
    QueueQuery,
    page_of,
    queue_counts,
    queue_tickets,
    ticket_list_for,
)
from tickets.views.common import (
    PAGE_SIZE,
    _error_text,
    _staff_or_403,
)


@login_required
def queue_index(request: HttpRequest) -> HttpResponse:
    return redirect("tickets:queue", queue="mine")


@login_required
@require_GET
def queue(request: HttpRequest, queue: str) -> HttpResponse:
    """One of the four views, filtered, searched and sorted; rows only for htmx requests."""
    staff = _staff_or_403(request)
    if queue not in QUEUES:
        raise Http404
    query = QueueQuery.from_params(queue, request.GET)
    page_number = page_param(request.GET.get("page"))
    start = (page_number - 1) * PAGE_SIZE
    rows = page_of(queue_tickets(user=request.user, query=query), start=start, size=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    tickets = _queue_rows(rows[:PAGE_SIZE])
    can_lead = staff.role in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER, Staff.Role.DIRECTOR)
    context = {
        "query": query,
        "tickets": tickets,
        "rows_html": _rows_html(tickets, can_lead=can_lead),
        "page_number": page_number,
        "has_next": len(rows) > PAGE_SIZE,
        "params": params.urlencode(),
        "can_lead": can_lead,
        "queues": QUEUES,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "tickets/_queue_rows.html", context)
    context.update(
        statuses=Ticket.Status.choices,
        priorities=Ticket.Priority.choices,
        types=Ticket.Type.choices,
        channels=Ticket.Channel.choices,
        assignable=Staff.objects.filter(scope_for(request.user).q(), status=Staff.Status.ON_POST)
        .select_related("team")
        .exclude(role__in=[Staff.Role.HR, Staff.Role.QA_INSPECTOR])
        .order_by("employee_number")
        if context["can_lead"]
        else [],
    )
    return render(request, "tickets/queue.html", context)


@dataclass(slots=True)
class QueueRow:
    """One line of a queue list with every cell worked out, so that rendering only prints."""

    number: str
    href: str
    subject: str
    tags: list[str]
    escalated: bool
    customer_name: str
    priority: str
    status: str
    status_label: str
    type_label: str
    channel_label: str
    team_name: str
    assignee_name: str
    overdue: bool
    next_due: datetime.datetime | None
    next_due_at: str
    next_due_in: str
    paused: bool
    opened: str


def _queue_rows(tickets: list[dict[str, Any]]) -> list[QueueRow]:
    """Labels, links and times for list rows, worked out once per page rather than once per
    cell (translating a choice label is the costly part of rendering a long queue)."""
    labels = {
        field: {value: str(label) for value, label in choices}
        for field, choices in (
            ("status", Ticket.Status.choices),
            ("type", Ticket.Type.choices),
            ("channel", Ticket.Channel.choices),
        )
    }
    detail = reverse("tickets:detail", args=["NUMBER"])
    now = timezone.now()
    here = timezone.get_current_timezone()
    rows = []
    for ticket in tickets:
        dues = [
            due
            for due in (
                ticket["first_response_due"],
                ticket["next_response_due"],
                ticket["resolution_due"],
            )
            if due
        ]
        next_due = min(dues) if dues else None
        overdue = ticket["sla_state"] == Ticket.SlaState.BREACHED or bool(
            next_due and next_due <= now
        )
        rows.append(
            QueueRow(
                number=ticket["number"],
                href=detail.replace("NUMBER", ticket["number"]),
                subject=ticket["subject"],
                tags=ticket["tags"],
                escalated=bool(ticket["escalation_level"]),
                customer_name=ticket["customer__name"] or "",
                priority=ticket["priority"],
                status=ticket["status"],
                status_label=labels["status"][ticket["status"]],
                type_label=labels["type"][ticket["type"]],
                channel_label=labels["channel"][ticket["channel"]],
                team_name=ticket["team__name"] or "",
                assignee_name=ticket["assignee__name"] or "—",
                overdue=overdue,
                next_due=next_due,
                next_due_at=f"{next_due.astimezone(here):%Y-%m-%d %H:%M}" if next_due else "",
                next_due_in=timeuntil(next_due, now) if next_due and not overdue else "",
                paused=ticket["sla_state"] == Ticket.SlaState.PAUSED,
                opened=f"{ticket['opened_at'].astimezone(here):%m-%d %H:%M}",
            )
        )
    return rows


def _rows_html(tickets: list[QueueRow], *, can_lead: bool) -> SafeString:
    """The table rows of a queue page, for ``tickets/_queue_rows.html`` to place. They are
    rendered by Jinja2 (``jinja2/tickets/_queue_rows.jinja``), which takes a fraction of the
    time Django's engine did over fifty rows; the words come translated from here."""
    labels = {"escalated": _("escalated"), "overdue": _("overdue"), "paused": _("paused")}
    template = engines["jinja2"].get_template("tickets/_queue_rows.jinja")
    html = template.render({"tickets": tickets, "can_lead": can_lead, "labels": labels})
    return mark_safe(html)  # noqa: S308 - Jinja2 autoescaped every value in it


@login_required
@require_GET
def queue_counts_view(request: HttpRequest) -> HttpResponse:
    _staff_or_403(request)
    current = request.GET.get("queue", "mine")
    return render(
        request,
        "tickets/_queue_tabs.html",
        {
            "counts": queue_counts(user=request.user),
            "query": QueueQuery(queue=current),
            "queues": QUEUES,
        },
    )


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    staff = _staff_or_403(request)
    numbers = request.POST.getlist("tickets")
    back = request.POST.get("next") or reverse("tickets:queue", args=["unassigned"])
    if not url_has_allowed_host_and_scheme(back, allowed_hosts=None):  # only a path here
        back = reverse("tickets:index")
    tickets = list(ticket_get_ids(request, numbers))
    if not tickets:
        messages.error(request, _("Select at least one ticket."))
        return redirect(back)
    if request.POST.get("mode") == "auto":
        done, left = [], []
        for ticket_id, number in tickets:
            try:
                who = services.ticket_auto_assign(ticket=ticket_id, actor=staff)
            except (PermissionDenied, ValidationError) as error:
                left.append(f"{number}: {_error_text(error)}")
            else:
                (done if who else left).append(
                    number if who else f"{number}: {_('nobody available')}"
                )
        _report(request, done, left)
        return redirect(back)
    # Only someone the user sees (as listed on the page): a refusal names the assignee.
    assignee_id = id_param(request.POST.get("assignee"))
    in_scope = staff_list_for(user=request.user)
    assignee = in_scope.filter(pk=assignee_id).first() if assignee_id else None
    if assignee is None:
        messages.error(request, _("Choose whom to assign the tickets to."))
        return redirect(back)
    result = services.ticket_bulk_assign(
        actor=staff, tickets=[pk for pk, _n in tickets], assignee=assignee
    )
    _report(request, result["assigned"], [f"{n}: {why}" for n, why in result["refused"].items()])
    return redirect(back)


def ticket_get_ids(request: HttpRequest, numbers: list[str]):
    return (
        ticket_list_for(user=request.user)
        .filter(number__in=numbers[:500])
        .values_list("pk", "number")
    )


def _report(request: HttpRequest, done: list[str], refused: list[str]) -> None:
    if done:
        messages.success(request, _("Assigned: %(numbers)s") % {"numbers": ", ".join(done)})
    for line in refused:
        messages.error(request, line)
