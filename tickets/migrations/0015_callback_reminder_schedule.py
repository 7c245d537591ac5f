"""Callback reminders run every five minutes (django-celery-beat, editable in the admin)."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five, _created = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="回访提醒（每5分钟）",
        defaults={"task": "tickets.callbacks_remind", "interval": every_five, "enabled": True},
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task="tickets.callbacks_remind").delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_callbacks"), ("tickets", "0013_notification_email_schedule")]

    operations = [migrations.RunPython(schedule, unschedule)]
