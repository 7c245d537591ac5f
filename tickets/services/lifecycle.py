"""The ticket lifecycle — one state machine. Every transition checks who may make it and
writes an audit event in the same transaction.

    new → open → pending_customer / pending_internal → resolved → closed
                 (reopen: resolved/closed → open, within the reopen window)
"""

import datetime
import mimetypes
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Staff, Team
from staff.selectors import scope_for
from tickets.models import (
    Attachment,
    Category,
    Customer,
    Message,
    RootCause,
    Shop,
    Tag,
    Ticket,
    TicketCounter,
    TicketEvent,
    WebhookEvent,
)
from tickets.permissions import TicketNotAllowed, ensure_can_lead, ensure_can_work, is_lead
from tickets.services import callbacks, sla, webhooks

Status = Ticket.Status

#: status → the statuses it may move to by an ordinary status change.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL, Status.RESOLVED}
    ),
    Status.OPEN: frozenset({Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL, Status.RESOLVED}),
    Status.PENDING_CUSTOMER: frozenset({Status.OPEN, Status.PENDING_INTERNAL, Status.RESOLVED}),
    Status.PENDING_INTERNAL: frozenset({Status.OPEN, Status.PENDING_CUSTOMER, Status.RESOLVED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}
#: Statuses an agent may pick directly; resolve, close and reopen have their own actions.
WORKING_STATUSES = (Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL)


class IllegalTransition(ValidationError):
    def __init__(self, ticket: Ticket, to_status: str) -> None:
        super().__init__(
            _("A ticket that is %(from)s cannot become %(to)s.")
            % {"from": ticket.get_status_display(), "to": Status(to_status).label},
            code="illegal_transition",
        )


def _ensure_transition(ticket: Ticket, to_status: str) -> None:
    if to_status not in TRANSITIONS[ticket.status]:
        raise IllegalTransition(ticket, to_status)


def _record(
    ticket: Ticket,
    kind: str,
    actor: Staff | None,
    *,
    from_status: str = "",
    announce: Iterable[tuple[str, dict]] = (),
    **data,
) -> TicketEvent:
    """The audit event of a change, and the webhooks it gives the ticket's shop: a status
    change always, then the events ``announce`` names (created, replied, resolved…)."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=ticket.status if from_status else "",
        data=data,
    )
    announced = list(announce)
    if from_status:
        change = {"from": from_status, "to": ticket.status}
        announced.insert(0, (WebhookEvent.STATUS_CHANGED, change))
    if announced:
        webhooks.webhooks_enqueue_many(ticket, announced)
    return event


def _touch(ticket: Ticket) -> None:
    """Mark the ticket updated without a history row (nothing of its own changed)."""
    ticket.updated_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)


def _locked(ticket: Ticket | int) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    # No select_related: after waiting for the lock, PostgreSQL re-reads only the locked row,
    # so joined team/assignee columns would be stale (a claimed ticket with assignee None).
    return Ticket.objects.select_for_update().get(pk=pk)


def search_text_for(ticket: Ticket, customer: Customer) -> str:
    """What text search looks in: subject, description, order number, customer name."""
    return " ".join([ticket.subject, ticket.description, ticket.order_ref, customer.name]).lower()


def _next_number(at: datetime.datetime) -> str:
    """CS-YYYYMM-NNNNNN from a per-month counter. The counter row stays locked until the
    creating transaction ends, so concurrent creations get distinct numbers; a rolled-back
    creation leaves a gap, which is fine."""
    period = timezone.localtime(at).strftime("%Y%m")
    TicketCounter.objects.bulk_create([TicketCounter(period=period)], ignore_conflicts=True)
    TicketCounter.objects.filter(period=period).update(last=F("last") + 1)
    last = TicketCounter.objects.values_list("last", flat=True).get(period=period)
    return f"CS-{period}-{last:06d}"


def _validate_attachments(files: Iterable[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    accepted = []
    for upload in files:
        extension = Path(upload.name).suffix.lower()
        content_type = settings.TICKET_ATTACHMENT_TYPES.get(extension)
        if content_type is None:
            raise ValidationError(
                {
                    "attachments": _("%(name)s: files of this type are not accepted.")
                    % {"name": upload.name}
                }
            )
        if upload.size > settings.TICKET_ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                {
                    "attachments": _("%(name)s is larger than %(limit)s.")
                    % {
                        "name": upload.name,
                        "limit": filesizeformat(settings.TICKET_ATTACHMENT_MAX_BYTES),
                    }
                }
            )
        guessed, _encoding = mimetypes.guess_type(upload.name)
        accepted.append((upload, content_type or guessed or "application/octet-stream"))
    return accepted


def _add_message(
    ticket: Ticket,
    *,
    kind: str,
    body: str,
    author: Staff | None,
    attachments: Iterable[UploadedFile] = (),
    channel: str = "",
    at: datetime.datetime | None = None,
) -> Message:
    body = (body or "").strip()
    files = _validate_attachments(attachments)
    if not body and not files:
        raise ValidationError({"body": _("Write a message or attach a file.")})
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        body=body,
        author=author,
        channel=channel,
        created_at=at or timezone.now(),
    )
    for upload, content_type in files:
        Attachment.objects.create(
            message=message,
            file=upload,
            name=upload.name[:200],
            size=upload.size,
            content_type=content_type,
        )
    return message


@transaction.atomic
def ticket_create(
    *,
    actor: Staff | None,
    subject: str,
    type: str,
    channel: str,
    team: Team,
    customer: Customer,
    description: str = "",
    priority: str = Ticket.Priority.P3,
    shop: Shop | None = None,
    order_ref: str = "",
    category: Category | None = None,
    tags: Iterable[Tag] = (),
    opened_at: datetime.datetime | None = None,
    complaint_reason: str = "",
    customer_demand: str = "",
    severity: str = "",
    remedy: str = "",
    responsible_department: str = "",
) -> Ticket:
    """Open a ticket. ``opened_at`` is when the customer raised it (never in the future)."""
    now = timezone.now()
    errors = {}
    if not (subject or "").strip():
        errors["subject"] = _("A ticket needs a subject.")
    if type not in Ticket.Type.values:
        errors["type"] = _("Unknown ticket type.")
    if channel not in Ticket.Channel.values:
        errors["channel"] = _("Unknown channel.")
    if priority not in Ticket.Priority.values:
        errors["priority"] = _("Unknown priority.")
    if opened_at is not None and opened_at > now:
        errors["opened_at"] = _("The opening time cannot be in the future.")
    if team.kind != Team.Kind.GROUP:
        errors["team"] = _("Tickets are queued for a group: choose a group.")
    if severity and severity not in Ticket.Severity.values:
        errors["severity"] = _("Unknown severity.")
    if errors:
        raise ValidationError(errors)
    if customer.merged_into_id is not None:
        customer = customer.merged_into
    ticket = Ticket(
        number=_next_number(now),
        subject=subject.strip(),
        description=(description or "").strip(),
        type=type,
        channel=channel,
        priority=priority,
        team=team,
        customer=customer,
        shop=shop,
        order_ref=(order_ref or "").strip(),
        category=category,
        opened_at=opened_at or now,
        created_by=actor,
        complaint_reason=complaint_reason,
        customer_demand=customer_demand,
        severity=severity,
        remedy=remedy,
        responsible_department=responsible_department,
    )
    ticket.search_text = search_text_for(ticket, customer)
    ticket.save()
    if tags:
        ticket.tags.set(tags)
    sla.sla_start(ticket, now=now)
    _record(
        ticket,
        TicketEvent.Kind.CREATED,
        actor,
        channel=channel,
        announce=[(WebhookEvent.CREATED, {})],
    )
    return ticket


@transaction.atomic
def ticket_update(
    *, actor: Staff | None, ticket: Ticket, tags: Iterable[Tag] | None = None, **changes
) -> Ticket:
    """Change a ticket's details (subject, priority, type, category, complaint fields…).
    ``actor=None`` is the ticket's shop, through the API."""
    editable = {
        "subject", "description", "type", "channel", "priority", "order_ref", "category",
        "root_cause", "complaint_reason", "customer_demand", "severity", "responsible_department",
        "remedy",
    }  # fmt: skip
    unknown = set(changes) - editable
    if unknown:
        raise TypeError(f"ticket_update cannot change {sorted(unknown)}")
    ticket = _locked(ticket)
    if actor is not None:
        ensure_can_work(actor, ticket)
    choices = {"type": Ticket.Type, "channel": Ticket.Channel, "priority": Ticket.Priority}
    for field, enum in choices.items():
        if field in changes and changes[field] not in enum.values:
            raise ValidationError(
                {field: _("“%(value)s” is not a valid choice.") % {"value": changes[field]}}
            )
    if "subject" in changes and not (changes["subject"] or "").strip():
        raise ValidationError({"subject": _("A ticket needs a subject.")})
    changed = {
        field: [str(getattr(ticket, field) or ""), str(value or "")]
        for field, value in changes.items()
        if getattr(ticket, field) != value
    }
    if changed:
        for field, value in changes.items():
            setattr(ticket, field, value)
        ticket.search_text = search_text_for(ticket, ticket.customer)
        ticket.save()
        if {"priority", "type", "channel"} & set(changed) and ticket.is_open:
            sla.sla_rematch(ticket)
    if tags is not None:
        before = set(ticket.tags.values_list("name", flat=True))
        ticket.tags.set(tags)
        after = {tag.name for tag in tags}
        if before != after:
            changed["tags"] = [", ".join(sorted(before)), ", ".join(sorted(after))]
    if changed:
        _record(ticket, TicketEvent.Kind.UPDATED, actor, changes=changed)
    return ticket


def _set_status(ticket: Ticket, to_status: str) -> str:
    _ensure_transition(ticket, to_status)
    from_status = ticket.status
    ticket.status = to_status
    return from_status


@transaction.atomic
def ticket_set_status(*, actor: Staff, ticket: Ticket, status: str) -> Ticket:
    """Move between open / waiting on customer / waiting on internal."""
    ticket = _locked(ticket)
    ensure_can_work(actor, ticket)
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status not in WORKING_STATUSES or not ticket.is_open:
        raise IllegalTransition(ticket, status)
    if status == ticket.status:
        return ticket
    from_status = _set_status(ticket, status)
    ticket.save(update_fields=["status", "updated_at"])
    sla.sla_status_changed(ticket, from_status=from_status, at=timezone.now())
    _record(ticket, TicketEvent.Kind.STATUS, actor, from_status=from_status)
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    actor: Staff,
    ticket: Ticket,
    body: str,
    attachments: Iterable[UploadedFile] = (),
    then_status: str | None = None,
) -> Message:
    """A public reply to the customer. The first one is the first response. Replying to an
    unassigned ticket claims it."""
    from tickets.services.assignment import assign_locked

    ticket = _locked(ticket)
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError(_("Reopen the ticket before replying."))
    if ticket.assignee_id is None and not is_lead(actor, ticket):
        assign_locked(ticket, actor, actor=actor, kind=TicketEvent.Kind.CLAIMED)
    ensure_can_work(actor, ticket)
    if then_status is not None and then_status not in WORKING_STATUSES:
        raise ValidationError({"then_status": _("Choose open or a waiting status.")})
    message = _add_message(
        ticket, kind=Message.Kind.REPLY, body=body, author=actor, attachments=attachments
    )
    fields = ["updated_at"]
    if ticket.first_response_at is None:
        ticket.first_response_at = message.created_at
        fields.append("first_response_at")
    target = then_status or (Status.OPEN if ticket.status == Status.NEW else ticket.status)
    from_status = ticket.status
    if target != ticket.status:
        _set_status(ticket, target)
        fields.append("status")
    if len(fields) > 1:
        ticket.save(update_fields=fields)
    else:
        _touch(ticket)
    sla.sla_public_reply(ticket, at=message.created_at)
    if target != from_status:
        sla.sla_status_changed(ticket, from_status=from_status, at=message.created_at)
    _record(
        ticket,
        TicketEvent.Kind.REPLIED,
        actor,
        from_status=from_status if target != from_status else "",
        message=message.pk,
        announce=[(WebhookEvent.REPLIED, {"message": message.pk, "body": message.body})],
    )
    return message


@transaction.atomic
def ticket_add_note(
    *, actor: Staff, ticket: Ticket, body: str, attachments: Iterable[UploadedFile] = ()
) -> Message:
    """An internal note: never shown to the customer. Anyone who can see the ticket may
    leave one (a colleague asked for advice, a lead)."""
    ticket = _locked(ticket)
    if not Ticket.objects.filter(scope_for(actor.user).tickets_q(), pk=ticket.pk).exists():
        raise TicketNotAllowed(_("You cannot see this ticket."))
    message = _add_message(
        ticket, kind=Message.Kind.NOTE, body=body, author=actor, attachments=attachments
    )
    _touch(ticket)
    _record(ticket, TicketEvent.Kind.NOTED, actor, message=message.pk)
    return message


@transaction.atomic
def ticket_customer_message(
    *,
    ticket: Ticket,
    body: str,
    channel: str = "",
    attachments: Iterable[UploadedFile] = (),
    at: datetime.datetime | None = None,
) -> Message:
    """The customer wrote. Waiting on the customer → open; resolved or closed within the
    reopen window → reopened; a closed ticket past the window stays closed (a new ticket
    is needed)."""
    ticket = _locked(ticket)
    if ticket.status in (Status.RESOLVED, Status.CLOSED):
        _reopen(ticket, actor=None, reason="customer_message")
    message = _add_message(
        ticket,
        kind=Message.Kind.CUSTOMER,
        body=body,
        author=None,
        channel=channel,
        attachments=attachments,
        at=at,
    )
    from_status = ticket.status
    if ticket.status == Status.PENDING_CUSTOMER:
        _set_status(ticket, Status.OPEN)
        ticket.save(update_fields=["status", "updated_at"])
        sla.sla_status_changed(ticket, from_status=from_status, at=message.created_at)
    else:
        _touch(ticket)
    sla.sla_customer_message(ticket, at=message.created_at)
    _record(
        ticket,
        TicketEvent.Kind.CUSTOMER_MESSAGE,
        None,
        from_status=from_status if ticket.status != from_status else "",
        message=message.pk,
    )
    return message


@transaction.atomic
def ticket_escalate(*, actor: Staff | None, ticket: Ticket, reason: str) -> Ticket:
    """升级: to the group's supervisor, then to the department's manager. ``actor=None`` is
    the system (an SLA policy escalating a breach)."""
    ticket = _locked(ticket)
    if actor is not None and actor.pk != ticket.assignee_id and not is_lead(actor, ticket):
        raise TicketNotAllowed(_("Only the assignee or a lead may escalate this ticket."))
    if not ticket.is_open:
        raise ValidationError(_("Only tickets still in work can be escalated."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the ticket is escalated.")})
    group, department = ticket.team, ticket.team.parent
    ladder = [(1, group.leader), (2, department.leader if department else None)]
    for level, lead in ladder:
        if (
            level <= ticket.escalation_level
            or lead is None
            or lead.pk == getattr(actor, "pk", None)
        ):
            continue
        if lead.status == Staff.Status.LEFT:
            continue
        ticket.escalation_level, ticket.escalated_to = level, lead
        ticket.save(update_fields=["escalation_level", "escalated_to", "updated_at"])
        _record(
            ticket,
            TicketEvent.Kind.ESCALATED,
            actor,
            level=level,
            to=lead.name,
            reason=reason.strip(),
        )
        return ticket
    raise ValidationError(_("There is nobody higher to escalate this ticket to."))


@transaction.atomic
def ticket_transfer(*, actor: Staff, ticket: Ticket, team: Team, reason: str) -> Ticket:
    """转派: hand the ticket to another group (of any department), unassigned, with a reason."""
    ticket = _locked(ticket)
    if actor.pk != ticket.assignee_id and not is_lead(actor, ticket):
        raise TicketNotAllowed(_("Only the assignee or a lead may transfer this ticket."))
    if not ticket.is_open:
        raise ValidationError(_("Only tickets still in work can be transferred."))
    if team.kind != Team.Kind.GROUP:
        raise ValidationError({"team": _("Tickets are queued for a group: choose a group.")})
    if team.pk == ticket.team_id:
        raise ValidationError({"team": _("The ticket is already in this group.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the ticket is transferred.")})
    from_team = ticket.team
    ticket.team, ticket.assignee, ticket.assigned_at = team, None, None
    ticket.escalation_level, ticket.escalated_to = 0, None
    ticket.save(
        update_fields=[
            "team",
            "assignee",
            "assigned_at",
            "escalation_level",
            "escalated_to",
            "updated_at",
        ]
    )
    _record(
        ticket,
        TicketEvent.Kind.TRANSFERRED,
        actor,
        from_team=from_team.name,
        to_team=team.name,
        reason=reason.strip(),
    )
    return ticket


@transaction.atomic
def ticket_resolve(
    *,
    actor: Staff,
    ticket: Ticket,
    resolution_summary: str,
    category: Category | None = None,
    root_cause: RootCause | None = None,
) -> Ticket:
    """Resolve: needs a resolution summary and a category."""
    ticket = _locked(ticket)
    ensure_can_work(actor, ticket)
    errors = {}
    if not (resolution_summary or "").strip():
        errors["resolution_summary"] = _("Write how the problem was resolved.")
    category = category or ticket.category
    if category is None:
        errors["category"] = _("Choose a category before resolving.")
    if errors:
        raise ValidationError(errors)
    from_status = _set_status(ticket, Status.RESOLVED)
    ticket.resolution_summary = resolution_summary.strip()
    ticket.category = category
    ticket.root_cause = root_cause or ticket.root_cause
    ticket.resolved_at = timezone.now()
    ticket.save()
    sla.sla_status_changed(ticket, from_status=from_status, at=ticket.resolved_at)
    callbacks.callback_schedule(ticket=ticket, at=ticket.resolved_at)
    _record(
        ticket,
        TicketEvent.Kind.RESOLVED,
        actor,
        from_status=from_status,
        announce=[
            (WebhookEvent.RESOLVED, {"resolution_summary": ticket.resolution_summary}),
        ],
    )
    return ticket


@transaction.atomic
def ticket_close(*, actor: Staff | None, ticket: Ticket, reason: str = "") -> Ticket:
    """Close a resolved ticket (assignee or lead), or — a lead only, with a reason — one
    still in work (spam, duplicate). ``actor=None`` is the system (callback timeout)."""
    ticket = _locked(ticket)
    if ticket.status == Status.CLOSED:
        raise IllegalTransition(ticket, Status.CLOSED)
    if actor is not None:
        if ticket.status == Status.RESOLVED:
            ensure_can_work(actor, ticket)
        else:
            ensure_can_lead(actor, ticket)
            if not (reason or "").strip():
                raise ValidationError({"reason": _("Say why an unresolved ticket is closed.")})
    from_status = ticket.status
    ticket.status = Status.CLOSED
    ticket.closed_at = timezone.now()
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    sla.sla_status_changed(ticket, from_status=from_status, at=ticket.closed_at)
    callbacks.callbacks_cancel(ticket=ticket)
    _record(
        ticket,
        TicketEvent.Kind.CLOSED,
        actor,
        from_status=from_status,
        reason=(reason or "").strip(),
        announce=[(WebhookEvent.CLOSED, {"reason": (reason or "").strip()})],
    )
    return ticket


def _reopen(ticket: Ticket, *, actor: Staff | None, reason: str) -> None:
    ended_at = ticket.closed_at or ticket.resolved_at
    window = datetime.timedelta(days=settings.TICKET_REOPEN_WINDOW_DAYS)
    if ended_at is not None and timezone.now() - ended_at > window:
        raise ValidationError(
            _(
                "This ticket ended more than %(days)d days ago and cannot be reopened; "
                "open a new one."
            )
            % {"days": settings.TICKET_REOPEN_WINDOW_DAYS},
            code="closed_for_good",
        )
    from_status = _set_status(ticket, Status.OPEN)
    ticket.resolved_at = ticket.closed_at = None
    ticket.reopen_count += 1
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "reopen_count", "updated_at"])
    sla.sla_status_changed(ticket, from_status=from_status, at=timezone.now())
    callbacks.callbacks_cancel(ticket=ticket)
    _record(ticket, TicketEvent.Kind.REOPENED, actor, from_status=from_status, reason=reason)


@transaction.atomic
def ticket_reopen(*, actor: Staff, ticket: Ticket, reason: str) -> Ticket:
    """Reopen a resolved or closed ticket within the reopen window."""
    ticket = _locked(ticket)
    ensure_can_work(actor, ticket)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise IllegalTransition(ticket, Status.OPEN)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the ticket is reopened.")})
    _reopen(ticket, actor=actor, reason=reason.strip())
    return ticket


@transaction.atomic
def ticket_platform_note(*, ticket: Ticket, body: str) -> Message:
    """An internal note from the shop's platform (an order cancelled, a dispute closed)."""
    ticket = _locked(ticket)
    message = _add_message(ticket, kind=Message.Kind.NOTE, body=body, author=None)
    _touch(ticket)
    _record(ticket, TicketEvent.Kind.NOTED, None, message=message.pk, source="platform")
    return message
