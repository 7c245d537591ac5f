"""Recurring training runs from django-celery-beat (editable in the admin), in Asia/Shanghai
time: the quarterly refresher every morning at 06:00 (it makes the quarter's session on its
first run in the quarter and enrols newcomers afterwards), session reminders every hour,
overdue and certificate alerts every morning at 07:00."""

from django.db import migrations

SCHEDULES = [
    # name, task, minute, hour
    ("季度复训排课与报名（每天06:00）", "training.refresher_plan", "0", "6"),
    ("培训开课提醒（每小时）", "training.reminders", "0", "*"),
    ("培训逾期与证书到期提醒（每天07:00）", "training.alerts", "0", "7"),
]
TIMEZONE = "Asia/Shanghai"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minute, hour in SCHEDULES:
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone=TIMEZONE,
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=[task for _name, task, _m, _h in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0002_seed_catalogue"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
