"""Default SLA policies from the policies in shared/seeds (客服管理制度):

- complaints: reply within one working hour, resolve within three 9-hour working days;
- online chat (web chat, Aliwangwang): first reply within 1 minute, never leave the customer
  waiting over 3 minutes, around the clock;
- urgent (P1): first reply within 30 working minutes, resolve within a working day;
- everything else: first reply within half a working day, resolve within five.
"""

from django.db import migrations

POLICIES = [
    # name, position, conditions, calendar, first, next, resolution
    ("投诉处理", 10, {"types": ["complaint"]}, "标准工作时间", 60, 120, 1620),
    ("在线客服", 20, {"channels": ["chat", "im"]}, "全天 24×7", 1, 3, 2880),
    ("紧急工单", 30, {"priorities": ["P1"]}, "标准工作时间", 30, 60, 540),
    ("默认", 1000, {}, "标准工作时间", 240, 240, 2700),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("tickets", "SlaPolicy")
    BusinessCalendar = apps.get_model("tickets", "BusinessCalendar")
    for name, position, conditions, calendar, first, following, resolution in POLICIES:
        SlaPolicy.objects.get_or_create(
            name=name,
            defaults={
                "position": position,
                "calendar": BusinessCalendar.objects.get(name=calendar),
                "first_response_minutes": first,
                "next_response_minutes": following,
                "resolution_minutes": resolution,
                **conditions,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_sla_policies"), ("tickets", "0005_default_calendars")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
