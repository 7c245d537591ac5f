"""The agent queue UI: queues, the ticket page, customers. Every write calls a service."""

import itertools
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from staff.models import Staff, Team
from staff.selectors import scope_for, staff_of
from tickets import forms, services
from tickets.models import Customer, Message, Ticket, normalise_phone
from tickets.permissions import is_lead, may_reveal_phone
from tickets.selectors import (
    QUEUES,
    QueueQuery,
    customer_duplicates,
    customer_get_for,
    customer_list_for,
    customer_tickets_for,
    macros_for,
    page_of,
    queue_counts,
    queue_tickets,
    ticket_conversation,
    ticket_events,
    ticket_get_for,
    ticket_list_for,
    with_duplicate_flag,
)

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
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    start = (page_number - 1) * PAGE_SIZE
    rows = page_of(queue_tickets(user=request.user, query=query), start=start, size=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "query": query,
        "tickets": _row_labels(rows[:PAGE_SIZE]),
        "page_number": page_number,
        "has_next": len(rows) > PAGE_SIZE,
        "params": params.urlencode(),
        "can_lead": staff.role in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER, Staff.Role.DIRECTOR),
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


def _row_labels(tickets: list[Ticket]) -> list[Ticket]:
    """Labels and links for list rows, worked out once per page rather than once per cell
    (translating a choice label is the costly part of rendering a long queue)."""
    labels = {
        field: {value: str(label) for value, label in choices}
        for field, choices in (
            ("status", Ticket.Status.choices),
            ("type", Ticket.Type.choices),
            ("channel", Ticket.Channel.choices),
        )
    }
    detail = reverse("tickets:detail", args=["NUMBER"])
    for ticket in tickets:
        ticket.status_label = labels["status"][ticket.status]
        ticket.type_label = labels["type"][ticket.type]
        ticket.channel_label = labels["channel"][ticket.channel]
        ticket.href = detail.replace("NUMBER", ticket.number)
    return tickets


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
    if not back.startswith("/"):
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
    assignee_id = request.POST.get("assignee", "")
    assignee = Staff.objects.filter(pk=assignee_id).first() if assignee_id.isdigit() else None
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


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Open a ticket for a customer who called, walked in or wrote outside the shop API."""
    staff = _staff_or_403(request)
    teams = Team.objects.filter(kind=Team.Kind.GROUP).order_by("path")
    initial = {"team": staff.team_id}
    customer = None
    if request.GET.get("customer", "").isdigit():
        customer = customer_list_for(user=request.user).filter(pk=request.GET["customer"]).first()
        initial["customer"] = customer
    form = forms.TicketCreateForm(request.POST or None, initial=initial, teams=teams)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                ticket = services.ticket_create(
                    actor=staff,
                    subject=data["subject"],
                    description=data["description"],
                    type=data["type"],
                    channel=data["channel"],
                    priority=data["priority"],
                    team=data["team"],
                    customer=data["customer"] or _customer_for(data),
                    shop=data["shop"],
                    order_ref=data["order_ref"],
                    complaint_reason=data["complaint_reason"],
                    customer_demand=data["customer_demand"],
                    severity=data["severity"],
                )
                if data["claim"] and staff.team_id == ticket.team_id:
                    services.ticket_claim(actor=staff, ticket=ticket)
        except (PermissionDenied, ValidationError) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
            return redirect(ticket)
    return render(
        request,
        "tickets/ticket_new.html",
        {"form": form, "customer": customer},
        status=400 if form.errors else 200,
    )


def _customer_for(data: dict) -> Customer:
    """The caller's record: the one live customer with this phone, else a new one."""
    digits = normalise_phone(data.get("customer_phone", ""))
    if digits:
        matches = list(
            Customer.objects.filter(merged_into__isnull=True, phones__normalised=digits).distinct()[
                :2
            ]
        )
        if len(matches) == 1:
            return matches[0]
    phones = [data["customer_phone"]] if data.get("customer_phone") else []
    return services.customer_create(name=data["customer_name"], phones=phones)


def _form_errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, _error_text(error))


def _ticket_context(request: HttpRequest, ticket: Ticket, staff: Staff, reply_form=None) -> dict:
    customer = ticket.customer
    lead = is_lead(staff, ticket)
    works_it = lead or ticket.assignee_id == staff.pk
    placeholders = {
        "customer_name": customer.name,
        "ticket_number": ticket.number,
        "agent_name": staff.name,
    }
    macros = [
        {"title": macro.title, "text": _fill(macro.body, placeholders)}
        for macro in macros_for(ticket)
    ]
    history = ticket.history.select_related("history_user").order_by(
        "-history_date", "-history_id"
    )[:20]
    return {
        "ticket": ticket,
        "me": staff,
        "is_lead": lead,
        "works_it": works_it,
        "conversation": ticket_conversation(ticket),
        "events": ticket_events(ticket)[:50],
        "history": _history_diffs(list(history)),
        "customer": customer,
        "customer_phones": list(customer.phones.all()),
        "customer_accounts": list(customer.accounts.select_related("shop")),
        "customer_history": customer_tickets_for(user=request.user, customer=customer).exclude(
            pk=ticket.pk
        )[:HISTORY_ROWS],
        "may_reveal": may_reveal_phone(staff),
        "macros": macros,
        "reply_form": reply_form or forms.ReplyForm(),
        "assign_form": forms.AssignForm(ticket=ticket, initial={"assignee": ticket.assignee_id}),
        "status_form": forms.StatusForm(initial={"status": ticket.status}),
        "resolve_form": forms.ResolveForm(
            initial={"category": ticket.category_id, "root_cause": ticket.root_cause_id}
        ),
        "transfer_form": forms.TransferForm(),
        "details_form": forms.TicketDetailsForm(
            initial={
                "priority": ticket.priority,
                "type": ticket.type,
                "category": ticket.category_id,
                "tags": list(ticket.tags.all()),
            }
        ),
        "can_claim": ticket.assignee_id is None
        and ticket.is_open
        and (staff.team_id == ticket.team_id or lead),
    }


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _history_diffs(records: list) -> list[dict]:
    """Field changes between consecutive history rows, newest first."""
    rows = []
    for newer, older in itertools.pairwise(records):
        delta = newer.diff_against(older)
        changes = [
            {
                "field": newer.instance._meta.get_field(change.field).verbose_name,
                "old": change.old,
                "new": change.new,
            }
            for change in delta.changes
            if change.field != "tags"
        ]
        if changes:
            rows.append({"at": newer.history_date, "by": newer.history_user, "changes": changes})
    return rows


@login_required
@require_GET
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    staff = _staff_or_403(request)
    ticket = ticket_get_for(user=request.user, number=number)
    return render(request, "tickets/ticket_detail.html", _ticket_context(request, ticket, staff))


@login_required
@require_POST
def ticket_reply_view(request: HttpRequest, number: str) -> HttpResponse:
    staff = _staff_or_403(request)
    ticket = ticket_get_for(user=request.user, number=number)
    form = forms.ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["kind"] == Message.Kind.NOTE:
                services.ticket_add_note(
                    actor=staff, ticket=ticket, body=data["body"], attachments=data["attachments"]
                )
            else:
                services.ticket_reply(
                    actor=staff,
                    ticket=ticket,
                    body=data["body"],
                    attachments=data["attachments"],
                    then_status=data["then_status"] or None,
                )
        except (PermissionDenied, ValidationError) as error:
            _form_errors(form, error)
        else:
            _presence_update(ticket, staff, None)
            return redirect(ticket)
    ticket = ticket_get_for(user=request.user, number=number)
    return render(
        request,
        "tickets/ticket_detail.html",
        _ticket_context(request, ticket, staff, form),
        status=400,
    )


@login_required
@require_POST
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Every button of the ticket page's sidebar; the service decides whether it is allowed."""
    staff = _staff_or_403(request)
    ticket = ticket_get_for(user=request.user, number=number)
    post = request.POST
    try:
        if action == "claim":
            services.ticket_claim(actor=staff, ticket=ticket)
        elif action == "assign":
            form = forms.AssignForm(post, ticket=ticket)
            _require(form)
            services.ticket_assign(
                actor=staff, ticket=ticket, assignee=form.cleaned_data["assignee"]
            )
        elif action == "status":
            form = _require(forms.StatusForm(post))
            services.ticket_set_status(
                actor=staff, ticket=ticket, status=form.cleaned_data["status"]
            )
        elif action in ("escalate", "close", "reopen"):
            reason = post.get("reason", "")
            service = {
                "escalate": services.ticket_escalate,
                "close": services.ticket_close,
                "reopen": services.ticket_reopen,
            }[action]
            service(actor=staff, ticket=ticket, reason=reason)
        elif action == "transfer":
            form = _require(forms.TransferForm(post))
            services.ticket_transfer(
                actor=staff,
                ticket=ticket,
                team=form.cleaned_data["team"],
                reason=form.cleaned_data["reason"],
            )
        elif action == "resolve":
            form = _require(forms.ResolveForm(post))
            services.ticket_resolve(actor=staff, ticket=ticket, **form.cleaned_data)
        elif action == "details":
            form = _require(forms.TicketDetailsForm(post))
            data = form.cleaned_data
            services.ticket_update(
                actor=staff,
                ticket=ticket,
                priority=data["priority"],
                type=data["type"],
                category=data["category"],
                tags=list(data["tags"]),
            )
        else:
            raise Http404
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
        return redirect(ticket)
    messages.success(request, _("Done."))
    if not ticket_list_for_user_has(request, ticket):
        return redirect("tickets:queue", queue="mine")
    return redirect(ticket)


def ticket_list_for_user_has(request: HttpRequest, ticket: Ticket) -> bool:
    """After a transfer the ticket may have left the user's scope."""
    return ticket_list_for(user=request.user).filter(pk=ticket.pk).exists()


def _require(form):
    if not form.is_valid():
        raise ValidationError(dict(form.errors.items()))
    return form


def _presence_key(ticket: Ticket) -> str:
    return f"presence:ticket:{ticket.pk}"


def _presence_update(ticket: Ticket, staff: Staff, state: str | None) -> dict:
    """Who has the ticket open (and who is typing), kept for a few seconds in the cache."""
    now = time.time()
    present = {
        key: value
        for key, value in (cache.get(_presence_key(ticket)) or {}).items()
        if now - value["at"] < PRESENCE_SECONDS
    }
    if state is None:
        present.pop(str(staff.pk), None)
    else:
        present[str(staff.pk)] = {"name": staff.name, "state": state, "at": now}
    cache.set(_presence_key(ticket), present, PRESENCE_SECONDS * 2)
    return present


@login_required
@require_POST
def ticket_presence(request: HttpRequest, number: str) -> HttpResponse:
    """Heartbeat from an open ticket page: returns who else is viewing or replying."""
    staff = _staff_or_403(request)
    ticket = ticket_get_for(user=request.user, number=number)
    state = request.POST.get("state", "viewing")
    if state not in ("viewing", "replying", "left"):
        return HttpResponseBadRequest()
    present = _presence_update(ticket, staff, None if state == "left" else state)
    others = [value for key, value in present.items() if key != str(staff.pk)]
    return render(request, "tickets/_presence.html", {"others": others})


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    _staff_or_403(request)
    customers = with_duplicate_flag(customer_list_for(user=request.user))
    text = request.GET.get("q", "").strip()[:100]
    if text:
        digits = normalise_phone(text)
        if len(digits) >= 4 and digits == text.replace(" ", "").replace("-", "").lstrip("+"):
            customers = customers.filter(phones__normalised__endswith=digits).distinct()
        else:
            customers = customers.filter(name__icontains=text) | customers.filter(
                accounts__buyer_id=text
            )
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    start = (page_number - 1) * PAGE_SIZE
    rows = list(customers.order_by("-created_at", "-pk")[start : start + PAGE_SIZE + 1])
    return render(
        request,
        "tickets/customer_list.html",
        {
            "customers": rows[:PAGE_SIZE],
            "q": text,
            "page_number": page_number,
            "has_next": len(rows) > PAGE_SIZE,
        },
    )


@login_required
@require_GET
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    staff = _staff_or_403(request)
    customer = customer_get_for(user=request.user, customer_id=customer_id)
    return render(
        request,
        "tickets/customer_detail.html",
        {
            "customer": customer,
            "tickets": customer_tickets_for(user=request.user, customer=customer)[:100],
            "duplicates": customer_duplicates(customer) if customer.merged_into_id is None else [],
            "may_reveal": may_reveal_phone(staff),
            "may_merge": staff.role
            in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER, Staff.Role.DIRECTOR),
            "merge_form": forms.MergeForm(),
        },
    )


@login_required
@require_POST
def customer_reveal(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Show the full numbers once (htmx swaps them in); the reveal is logged."""
    staff = _staff_or_403(request)
    customer = customer_get_for(user=request.user, customer_id=customer_id)
    ticket = None
    if request.POST.get("ticket"):
        ticket = ticket_get_for(user=request.user, number=request.POST["ticket"])
    try:
        numbers = services.customer_reveal_phones(actor=staff, customer=customer, ticket=ticket)
    except PermissionDenied as denied:
        return HttpResponse(str(denied), status=403)
    return render(request, "tickets/_revealed_phones.html", {"numbers": numbers})


@login_required
@require_POST
def customer_merge_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    staff = _staff_or_403(request)
    source = customer_get_for(user=request.user, customer_id=customer_id)
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _error_text(ValidationError(form.errors)))
        return redirect(source)
    try:
        target = customer_get_for(user=request.user, customer_id=form.cleaned_data["target"])
        services.customer_merge(actor=staff, source=source, target=target)
    except Http404:
        messages.error(
            request, _("There is no customer no. %(id)s.") % {"id": form.cleaned_data["target"]}
        )
        return redirect(source)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
        return redirect(source)
    messages.success(
        request,
        _("%(source)s was merged into %(target)s.")
        % {"source": source.name, "target": target.name},
    )
    return redirect(target)
