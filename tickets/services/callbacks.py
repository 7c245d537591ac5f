"""回访 — call the customer back after resolution: schedule, remind, record the outcome.

Resolving schedules a callback at the start of the next working day (default calendar).
A satisfied customer closes the ticket; an unsatisfied one reopens it; after
``CALLBACK_MAX_ATTEMPTS`` unanswered tries the ticket is closed.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Staff
from tickets.business_time import default_calendar, schedule_for
from tickets.models import Callback, Notification, Ticket
from tickets.permissions import ensure_can_work

Outcome = Callback.Outcome


def next_working_start(after: datetime.datetime) -> datetime.datetime:
    """The first working minute of the next working day after ``after`` on the default
    calendar (09:00 the next day if that calendar has been removed)."""
    calendar = default_calendar()
    zone = ZoneInfo(calendar.time_zone if calendar else settings.TIME_ZONE)
    midnight = datetime.datetime.combine(
        after.astimezone(zone).date() + datetime.timedelta(days=1), datetime.time(0), tzinfo=zone
    )
    if calendar is None:
        return midnight + datetime.timedelta(hours=9)
    return schedule_for(calendar).add(midnight, 1) - datetime.timedelta(minutes=1)


def _retry_at(now: datetime.datetime) -> datetime.datetime:
    calendar = default_calendar()
    if calendar is None:
        return now + datetime.timedelta(minutes=settings.CALLBACK_RETRY_MINUTES)
    return schedule_for(calendar).add(now, settings.CALLBACK_RETRY_MINUTES)


def callback_schedule(*, ticket: Ticket, at: datetime.datetime | None = None) -> Callback | None:
    """Schedule the callback of a resolved ticket (once; a second resolve keeps the first)."""
    if ticket.assignee_id is None:
        return None
    existing = ticket.callbacks.filter(status=Callback.Status.SCHEDULED).first()
    if existing is not None:
        return existing
    return Callback.objects.create(
        ticket=ticket,
        assignee_id=ticket.assignee_id,
        due_at=next_working_start(at or timezone.now()),
    )


def callbacks_cancel(*, ticket: Ticket) -> int:
    """The ticket is back in work: its scheduled callback is no longer needed."""
    return ticket.callbacks.filter(status=Callback.Status.SCHEDULED).update(
        status=Callback.Status.CANCELLED, completed_at=timezone.now()
    )


@transaction.atomic
def callback_record(*, actor: Staff, callback: Callback, outcome: str, notes: str = "") -> Callback:
    """Record a call: satisfied → the ticket closes; not satisfied → it reopens; not reached
    → another try later, and after the last try the ticket closes."""
    from tickets.services.lifecycle import ticket_close, ticket_reopen

    callback = Callback.objects.select_for_update().select_related("ticket").get(pk=callback.pk)
    if callback.status != Callback.Status.SCHEDULED:
        raise ValidationError(_("This callback is already finished."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose how the call went.")})
    ticket = callback.ticket
    ensure_can_work(actor, ticket)
    now = timezone.now()
    callback.attempts += 1
    callback.outcome, callback.notes = (
        outcome,
        "\n".join(filter(None, [callback.notes, notes.strip()])),
    )
    if outcome == Outcome.NOT_REACHED:
        if callback.attempts >= settings.CALLBACK_MAX_ATTEMPTS:
            callback.status, callback.completed_at = Callback.Status.UNREACHED, now
            callback.save()
            ticket_close(
                actor=None,
                ticket=ticket,
                reason=_("Callback unanswered after %(n)d tries") % {"n": callback.attempts},
            )
        else:
            callback.due_at = _retry_at(now)
            callback.reminded_at = callback.overdue_notified_at = None
            callback.save()
        return callback
    callback.status, callback.completed_at = Callback.Status.DONE, now
    callback.save()
    if outcome == Outcome.SATISFIED:
        ticket_close(actor=actor, ticket=ticket, reason=_("Customer satisfied on callback"))
    else:
        ticket_reopen(
            actor=actor,
            ticket=ticket,
            reason=_("Customer not satisfied on callback: %(notes)s") % {"notes": notes or "—"},
        )
    return callback


@transaction.atomic
def callbacks_remind(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Remind agents of due callbacks and supervisors of overdue ones — each once per due
    time (rows locked and stamped, so concurrent runs skip each other's)."""
    now = now or timezone.now()
    counts = {}
    overdue_at = now - datetime.timedelta(minutes=settings.CALLBACK_OVERDUE_MINUTES)
    for stamp, kind, due_before in (
        ("reminded_at", Notification.Kind.CALLBACK_DUE, now),
        ("overdue_notified_at", Notification.Kind.CALLBACK_OVERDUE, overdue_at),
    ):
        due = list(
            Callback.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=Callback.Status.SCHEDULED,
                due_at__lte=due_before,
                **{f"{stamp}__isnull": True},
            )
            .select_related("ticket__team")
        )
        notifications = []
        for callback in due:
            recipient = (
                callback.assignee_id
                if kind == Notification.Kind.CALLBACK_DUE
                else callback.ticket.team.leader_id
            )
            if recipient:
                label = (
                    _("Callback due")
                    if kind == Notification.Kind.CALLBACK_DUE
                    else _("Callback overdue")
                )
                notifications.append(
                    Notification(
                        recipient_id=recipient,
                        kind=kind,
                        ticket=callback.ticket,
                        text=f"{callback.ticket.number}: {label}",
                    )
                )
            setattr(callback, stamp, now)
        Notification.objects.bulk_create(notifications)
        Callback.objects.bulk_update(due, [stamp])
        counts[kind] = len(notifications)
    return counts
