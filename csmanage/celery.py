"""The Celery application: settings come from Django's (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csmanage.settings")

app = Celery("csmanage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="csmanage.ping")
def ping() -> str:
    """Answer ``"pong"``: proves a worker is consuming from the broker."""
    return "pong"
