"""Notifications: made with the change that causes them, emailed from Celery afterwards.

Unsent emails stay in the table (the outbox) until a worker sends them, so a broker that
is down while a ticket is saved delays an email but never loses it."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Staff
from tickets.models import Notification, NotificationPreference, SlaEvent, Ticket

logger = logging.getLogger(__name__)
Kind = Notification.Kind

#: What people get by email until they choose otherwise.
DEFAULT_EMAIL_KINDS = (Kind.SLA_BREACHED, Kind.SLA_BREACH_OLD)
EMAIL_BATCH = 200


def email_kinds_for(staff_ids: Iterable[int]) -> dict[int, set[str]]:
    chosen = dict(
        NotificationPreference.objects.filter(staff_id__in=staff_ids).values_list(
            "staff_id", "email_kinds"
        )
    )
    return {pk: set(chosen.get(pk, DEFAULT_EMAIL_KINDS)) for pk in staff_ids}


def notify_sla_alerts(alerts: list[tuple[int, int, str, str]]) -> int:
    """Notifications for new SLA alerts — (event id, ticket id, metric, kind) — in the
    caller's transaction: at risk → the assignee (or the group's supervisor if nobody has
    it); breached → the group's supervisor and the assignee; still breached after a while →
    the department's manager. Returns how many were made."""
    if not alerts:
        return 0
    tickets = Ticket.objects.select_related("team__parent").in_bulk(
        {ticket_id for _e, ticket_id, _m, _k in alerts}
    )
    metric_labels = dict(SlaEvent._meta.get_field("metric").choices)
    rows = []
    for event_id, ticket_id, metric, kind in alerts:
        ticket = tickets[ticket_id]
        leader = ticket.team.leader_id
        if kind == SlaEvent.Kind.MANAGER_ALERTED:
            manager = ticket.team.parent.leader_id if ticket.team.parent_id else None
            recipients, notification_kind = {manager}, Kind.SLA_BREACH_OLD
            text = _("%(number)s: %(metric)s breached and still not handled") % {
                "number": ticket.number,
                "metric": metric_labels[metric],
            }
        elif kind == SlaEvent.Kind.WARNED:
            recipients, notification_kind = {ticket.assignee_id or leader}, Kind.SLA_WARNED
            text = _("%(number)s: %(metric)s is at risk") % {
                "number": ticket.number,
                "metric": metric_labels[metric],
            }
        else:
            recipients, notification_kind = {leader, ticket.assignee_id}, Kind.SLA_BREACHED
            text = _("%(number)s: %(metric)s breached") % {
                "number": ticket.number,
                "metric": metric_labels[metric],
            }
        rows += [(pk, notification_kind, ticket_id, event_id, text) for pk in recipients if pk]
    wants = email_kinds_for({row[0] for row in rows})
    made = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk,
                kind=kind,
                ticket_id=ticket_id,
                sla_event_id=event_id,
                text=text[:300],
                email_wanted=kind in wants[pk],
            )
            for pk, kind, ticket_id, event_id, text in rows
        ],
        ignore_conflicts=True,
    )
    if any(notification.email_wanted for notification in made):
        transaction.on_commit(_enqueue_emails)
    return len(made)


def notify(*, recipients: Iterable[Staff | int | None], kind: str, text: str) -> int:
    """In-app notifications (and emails, by each person's preference) about something other
    than a ticket — training reminders and alerts — in the caller's transaction."""
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    if not ids:
        return 0
    wants = email_kinds_for(ids)
    made = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=pk, kind=kind, text=text[:300], email_wanted=kind in wants[pk]
            )
            for pk in sorted(ids)
        ]
    )
    if any(notification.email_wanted for notification in made):
        transaction.on_commit(_enqueue_emails)
    return len(made)


def _enqueue_emails() -> None:
    from tickets.tasks import notifications_email_task

    try:
        notifications_email_task.delay()
    except Exception:  # the outbox task sends them once the broker is back
        logger.warning("Broker unavailable; notification emails wait in the outbox.", exc_info=True)


def notifications_email_pending() -> int:
    """Send waiting notification emails (a batch at a time, rows locked so two workers
    never send the same one). Returns how many were sent."""
    sent = 0
    with transaction.atomic():
        batch = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(email_wanted=True, emailed_at__isnull=True)
            .select_related("recipient__user", "ticket")
            .order_by("created_at")[:EMAIL_BATCH]
        )
        for notification in batch:
            address = notification.recipient.user.email
            if address:
                link = notification.ticket.get_absolute_url() if notification.ticket else ""
                send_mail(
                    subject=f"[CSManage] {notification.text}",
                    message=f"{notification.text}\n\n{settings.SITE_URL}{link}",
                    from_email=None,
                    recipient_list=[address],
                )
                sent += 1
            notification.emailed_at = timezone.now()
        Notification.objects.bulk_update(batch, ["emailed_at"])
    return sent


def notifications_mark_read(*, staff: Staff, ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of a person's unread notifications read."""
    unread = Notification.objects.filter(recipient=staff, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def notification_preference_set(
    *, staff: Staff, email_kinds: Iterable[str]
) -> NotificationPreference:
    kinds = [kind for kind in email_kinds if kind in Kind.values]
    preference, _created = NotificationPreference.objects.update_or_create(
        staff=staff, defaults={"email_kinds": kinds}
    )
    return preference
