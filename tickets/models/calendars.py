"""Business calendars (工作日历): the working hours SLA clocks run on, and the Chinese
statutory calendar of days off and adjusted working days (调休)."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MIDNIGHT = datetime.time(0, 0)


class BusinessCalendar(models.Model):
    """Weekly working hours in a time zone, optionally following the statutory calendar."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    is_24x7 = models.BooleanField(
        _("24×7"), default=False, help_text=_("Every minute counts: no hours, no days off.")
    )
    follows_statutory_calendar = models.BooleanField(
        _("follows the statutory calendar"),
        default=True,
        help_text=_(
            "Statutory holidays are off and adjusted working days (调休) are worked, with the "
            "hours of a Monday."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    """Hours worked on one weekday; an interval may end at midnight (end 00:00 = 24:00)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="intervals"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["calendar", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")) | Q(end=MIDNIGHT),
                name="working_interval_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        end = "24:00" if self.end == MIDNIGHT else f"{self.end:%H:%M}"
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{end}"


class StatutoryDay(models.Model):
    """One day of the State Council's holiday notice: a day off, or a worked weekend day."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Day off (holiday)")
        WORKDAY = "workday", _("Adjusted working day (调休)")

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinesecalendar package")
        IMPORT = "import", _("Imported")
        MANUAL = "manual", _("Entered by hand")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("holiday"), max_length=50, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )

    class Meta:
        verbose_name = _("statutory calendar day")
        verbose_name_plural = _("statutory calendar days")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
