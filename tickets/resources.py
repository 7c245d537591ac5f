"""Spreadsheets in and out of the tickets admin (django-import-export)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from tickets.models import StatutoryDay
from tickets.services.calendars import statutory_days_import

KIND_WORDS = {
    StatutoryDay.Kind.HOLIDAY: {"holiday", "休", "放假", "休息", "假"},
    StatutoryDay.Kind.WORKDAY: {"workday", "班", "上班", "调休上班", "补班"},
}


class KindWidget(widgets.Widget):
    """休 / 班 (or holiday / workday), as the State Council's notice is usually typed up."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().lower()
        for kind, words in KIND_WORDS.items():
            if text in words:
                return kind
        raise ValueError(_("Write 休 for a day off or 班 for a working day."))

    def render(self, value, obj=None, **kwargs):
        return "休" if value == StatutoryDay.Kind.HOLIDAY else "班"


class StatutoryDayResource(resources.ModelResource):
    """A year's holiday notice: 日期, 类型 (休/班), 名称. Rows replace the same dates."""

    date = fields.Field(attribute="date", column_name="日期", widget=widgets.DateWidget("%Y-%m-%d"))
    kind = fields.Field(attribute="kind", column_name="类型", widget=KindWidget())
    name = fields.Field(attribute="name", column_name="名称")

    class Meta:
        model = StatutoryDay
        import_id_fields = ("date",)
        fields = ("date", "kind", "name")
        clean_model_instances = False
        skip_unchanged = False
        use_transactions = True

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.date is None:
            raise ValidationError({"date": _("日期 is required.")})

    def save_instance(self, instance, is_create, row, **kwargs):
        statutory_days_import(rows=[(instance.date, instance.kind, instance.name or "")])
        instance.pk = StatutoryDay.objects.values_list("pk", flat=True).get(date=instance.date)
