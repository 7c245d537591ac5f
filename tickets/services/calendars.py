"""Writes to the statutory calendar: seeding from the package, importing a new year."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.models import StatutoryDay

Kind = StatutoryDay.Kind


def statutory_rows_from_package() -> list[tuple[datetime.date, str, str]]:
    """(date, kind, holiday name in Chinese) for every day the chinesecalendar package knows."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    chinese = {holiday.value: holiday.chinese for holiday in Holiday}
    return sorted(
        [
            (day, Kind.HOLIDAY, chinese.get(name, name))
            for day, name in chinese_calendar.holidays.items()
        ]
        + [
            (day, Kind.WORKDAY, chinese.get(name, name))
            for day, name in chinese_calendar.workdays.items()
        ]
    )


@transaction.atomic
def statutory_days_import(
    *, rows: Iterable[tuple[datetime.date, str, str]], source: str = StatutoryDay.Source.IMPORT
) -> int:
    """Put a year's notice into the table: each date becomes a day off or a worked day
    (replacing what was there). Returns how many days were written."""
    count = 0
    for day, kind, name in rows:
        if kind not in Kind.values:
            raise ValidationError(
                {"kind": _("“%(kind)s” is neither a day off nor a working day.") % {"kind": kind}}
            )
        StatutoryDay.objects.update_or_create(
            date=day, defaults={"kind": kind, "name": name, "source": source}
        )
        count += 1
    return count
