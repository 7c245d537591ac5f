"""Celery tasks of the tickets app: thin wrappers around services."""

from celery import shared_task

from tickets.services.callbacks import callbacks_remind
from tickets.services.notifications import notifications_email_pending
from tickets.services.sla import sla_sweep


@shared_task(name="tickets.sla_sweep", acks_late=True)
def sla_sweep_task() -> dict[str, int]:
    """Every minute (django-celery-beat): mark tickets at risk and breached."""
    return sla_sweep()


@shared_task(name="tickets.notifications_email", acks_late=True)
def notifications_email_task() -> int:
    """Send the notification emails waiting in the outbox (also every minute, from beat)."""
    return notifications_email_pending()


@shared_task(name="tickets.callbacks_remind", acks_late=True)
def callbacks_remind_task() -> dict[str, int]:
    """Every few minutes: remind agents of due callbacks, supervisors of overdue ones."""
    return callbacks_remind()
