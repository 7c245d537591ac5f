"""Celery tasks of the tickets app: thin wrappers around services."""

import logging

from celery import Signature, Task, shared_task
from django.db import transaction

from tickets.services.callbacks import callbacks_remind
from tickets.services.integrations import idempotency_records_purge
from tickets.services.notifications import notifications_email_pending
from tickets.services.sla import sla_sweep
from tickets.services.webhooks import Outcome, webhook_deliver, webhooks_sweep

logger = logging.getLogger(__name__)


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


@shared_task(bind=True, name="tickets.webhook_deliver", acks_late=True)
def webhook_deliver_task(self: Task, delivery_id: int) -> dict:
    """Try one webhook delivery; after a failure, come back (on the queue this came from)
    when the retry is due. The every-minute sweep would too, should that never arrive."""
    attempt = webhook_deliver(delivery_id)
    if attempt.outcome == Outcome.RETRYING:
        again = self.signature_from_request(countdown=attempt.retry_in)
        transaction.on_commit(lambda: _send_later(again))
    return {"outcome": str(attempt.outcome), "response_code": attempt.response_code}


def _send_later(task: Signature) -> None:
    try:
        task.apply_async()
    except Exception:  # the sweep tries it once it is due
        logger.warning("Broker unavailable; webhook retry left to the sweep.", exc_info=True)


@shared_task(name="tickets.webhooks_sweep", acks_late=True)
def webhooks_sweep_task() -> dict[str, int]:
    """Every minute (django-celery-beat): send the webhook deliveries that are due."""
    return webhooks_sweep()


@shared_task(name="tickets.idempotency_purge", acks_late=True)
def idempotency_purge_task() -> int:
    """Daily (django-celery-beat): forget idempotency records past their keeping time."""
    return idempotency_records_purge()
