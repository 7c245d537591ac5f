"""The statutory calendar from the chinesecalendar package, and the default calendars:
"标准工作时间" (Monday–Friday 09:00–18:00, statutory days followed) and "全天 24×7"."""

import datetime

from django.db import migrations


def seed(apps, schema_editor):
    from tickets.services.calendars import statutory_rows_from_package

    StatutoryDay = apps.get_model("tickets", "StatutoryDay")
    BusinessCalendar = apps.get_model("tickets", "BusinessCalendar")
    WorkingInterval = apps.get_model("tickets", "WorkingInterval")
    known = set(StatutoryDay.objects.values_list("date", flat=True))
    StatutoryDay.objects.bulk_create(
        StatutoryDay(date=day, kind=kind, name=name, source="package")
        for day, kind, name in statutory_rows_from_package()
        if day not in known
    )
    standard, created = BusinessCalendar.objects.get_or_create(
        name="标准工作时间",
        defaults={"time_zone": "Asia/Shanghai", "follows_statutory_calendar": True},
    )
    if created:
        WorkingInterval.objects.bulk_create(
            WorkingInterval(
                calendar=standard, weekday=weekday, start=datetime.time(9), end=datetime.time(18)
            )
            for weekday in range(5)
        )
    BusinessCalendar.objects.get_or_create(
        name="全天 24×7",
        defaults={"time_zone": "Asia/Shanghai", "is_24x7": True, "follows_statutory_calendar": False},
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_business_calendars")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
