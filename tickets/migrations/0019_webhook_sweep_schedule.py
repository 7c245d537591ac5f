"""Webhook deliveries that are due are sent every minute (django-celery-beat): what a lost
enqueue or a failed attempt left."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _created = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Webhook 投递（每分钟）",
        defaults={"task": "tickets.webhooks_sweep", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task="tickets.webhooks_sweep").delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0018_shop_integrations")]

    operations = [migrations.RunPython(schedule, unschedule)]
