"""The ticket page: conversation, reply box, actions, presence; opening a ticket."""

import itertools
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from csmanage.params import id_param
from staff.models import Staff, Team
from tickets import forms, services
from tickets.models import Customer, Message, Ticket, normalise_phone
from tickets.permissions import is_lead, may_reveal_phone
from tickets.selectors import (
    customer_list_for,
    customer_tickets_for,
    macros_for,
    ticket_conversation,
    ticket_events,
    ticket_get_for,
    ticket_list_for,
)
from tickets.views.common import (
    HISTORY_ROWS,
    PRESENCE_SECONDS,
    _error_text,
    _form_errors,
    _staff_or_403,
)


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Open a ticket for a customer who called, walked in or wrote outside the shop API."""
    staff = _staff_or_403(request)
    teams = Team.objects.filter(kind=Team.Kind.GROUP).order_by("path")
    initial = {"team": staff.team_id}
    customer = None
    if (customer_id := id_param(request.GET.get("customer"))) is not None:
        customer = customer_list_for(user=request.user).filter(pk=customer_id).first()
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
        "sla_events": list(ticket.sla_events.order_by("-created_at", "-pk")[:30]),
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
            reason = _require(forms.OptionalReasonForm(post)).cleaned_data["reason"]
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
