"""Notification emails waiting in the outbox are sent every minute (django-celery-beat)."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _created = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="通知邮件发送（每分钟）",
        defaults={"task": "tickets.notifications_email", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task="tickets.notifications_email").delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_notifications"), ("tickets", "0011_sla_sweep_schedule")]

    operations = [migrations.RunPython(schedule, unschedule)]
