"""Celery tasks of the tickets app: thin wrappers around services."""

from celery import shared_task

from tickets.services.sla import sla_sweep


@shared_task(name="tickets.sla_sweep", acks_late=True)
def sla_sweep_task() -> dict[str, int]:
    """Every minute (django-celery-beat): mark tickets at risk and breached."""
    return sla_sweep()
