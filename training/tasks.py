"""Celery tasks of the training app: thin wrappers around ``training.recurring``, each run
by a django-celery-beat entry (see migration 0003) and safe to run twice."""

from celery import shared_task

from training.recurring import alerts_raise, onboarding_enrol, refresher_plan, reminders_send


@shared_task(name="training.refresher_plan", acks_late=True)
def training_refresher_plan() -> dict[str, int]:
    """Daily: plan this quarter's refresher session (on the first run of the quarter) and
    enrol everyone not yet in it."""
    return refresher_plan()


@shared_task(name="training.reminders", acks_late=True)
def training_reminders() -> dict[str, int]:
    """Hourly: remind trainees of sessions starting within ``TRAINING_REMINDER_HOURS``."""
    return reminders_send()


@shared_task(name="training.alerts", acks_late=True)
def training_alerts() -> dict[str, int]:
    """Daily: alert overdue required courses and expiring certificates, once each."""
    return alerts_raise()


@shared_task(name="training.onboarding_enrol", acks_late=True)
def training_onboarding_enrol() -> dict[str, int]:
    """Daily: new hires waiting for onboarding join the next session (made if needed)."""
    return onboarding_enrol()
