"""manage.py sla_due --start 2026-09-30T17:30 --minutes 60 [--calendar NAME]"""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.business_time import (
    DEFAULT_CALENDAR,
    NoWorkingTime,
    schedule_for,
    statutory_years_missing,
)
from tickets.models import BusinessCalendar


class Command(BaseCommand):
    help = (
        "Print when N working minutes after a start time end on a business calendar "
        "(ISO 8601 with offset, on the last line)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--start", required=True, help="e.g. 2026-09-30T17:30 (calendar's zone if no offset)"
        )
        parser.add_argument("--minutes", required=True, type=float, help="working minutes to add")
        parser.add_argument("--calendar", help='calendar name (default "标准工作时间")')

    def handle(
        self, *args, start: str, minutes: float, calendar: str | None = None, **options
    ) -> None:
        name = calendar or DEFAULT_CALENDAR
        business_calendar = BusinessCalendar.objects.filter(name=name).first()
        if business_calendar is None:
            names = ", ".join(BusinessCalendar.objects.values_list("name", flat=True))
            raise CommandError(f"No calendar named {name!r}. Calendars: {names}")
        try:
            moment = datetime.datetime.fromisoformat(start)
        except ValueError:
            raise CommandError(f"--start {start!r} is not an ISO 8601 date and time") from None
        if minutes < 0:
            raise CommandError("--minutes must not be negative")
        schedule = schedule_for(business_calendar)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=schedule.zone)
        try:
            due = schedule.add(moment, minutes)
        except NoWorkingTime as error:
            raise CommandError(str(error)) from None
        if business_calendar.follows_statutory_calendar:
            first, last = (when.astimezone(schedule.zone).year for when in (moment, due))
            for year in statutory_years_missing(range(first, last + 1)):
                self.stderr.write(
                    f"Warning: no holiday notice for {year} is on record; every weekday of "
                    f"{year} counts as a working day. Import the State Council's notice."
                )
        self.stdout.write(f"{business_calendar.name}: {start} + {minutes:g} working minutes")
        self.stdout.write(due.astimezone(schedule.zone).isoformat())
