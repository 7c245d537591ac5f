"""Working-time arithmetic on a business calendar: "start + N working minutes → due", and
how many working minutes lie between two moments. SLA clocks are built on these two."""

import contextlib
import datetime
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tickets.models import BusinessCalendar, StatutoryDay, WorkingInterval

MIDNIGHT = datetime.time(0, 0)
#: How far ahead the arithmetic looks for working time before giving up (a calendar with no
#: hours at all would otherwise loop for ever).
HORIZON_DAYS = 3 * 366

Span = tuple[datetime.datetime, datetime.datetime]


class NoWorkingTime(ValueError):
    """The calendar has no working time within the horizon."""


@dataclass(frozen=True)
class Schedule:
    """A calendar loaded into memory: weekly hours, days off and adjusted working days."""

    zone: ZoneInfo
    always: bool = False
    weekly: dict[int, tuple[tuple[datetime.time, datetime.time], ...]] = field(default_factory=dict)
    days_off: frozenset[datetime.date] = frozenset()
    extra_workdays: frozenset[datetime.date] = frozenset()

    def hours_on(self, day: datetime.date) -> tuple[tuple[datetime.time, datetime.time], ...]:
        """The working intervals of a date (an adjusted working day works Monday's hours)."""
        if day in self.days_off:
            return ()
        if day in self.extra_workdays:
            return self.weekly.get(day.weekday()) or self.weekly.get(0, ())
        return self.weekly.get(day.weekday(), ())

    def spans_on(self, day: datetime.date) -> list[Span]:
        """The day's working intervals as aware datetimes; an end of 00:00 is the next midnight."""
        spans = []
        for start, end in self.hours_on(day):
            begin = datetime.datetime.combine(day, start, tzinfo=self.zone)
            finish_day = day + datetime.timedelta(days=1) if end == MIDNIGHT else day
            finish = datetime.datetime.combine(finish_day, end, tzinfo=self.zone)
            spans.append((begin, finish))
        return spans

    def spans_from(self, moment: datetime.datetime):
        """Working spans from ``moment`` on, the first one clipped to start at ``moment``."""
        local = moment.astimezone(self.zone)
        day = local.date()
        for _offset in range(HORIZON_DAYS):
            for begin, finish in self.spans_on(day):
                if finish <= local:
                    continue
                yield max(begin, local), finish
            day += datetime.timedelta(days=1)
        raise NoWorkingTime(f"no working time within {HORIZON_DAYS} days of {moment.isoformat()}")

    def add(self, start: datetime.datetime, minutes: float) -> datetime.datetime:
        """The moment ``minutes`` working minutes after ``start``.

        Zero minutes is ``start`` itself; otherwise the result always lies in working time
        (at most at the end of an interval: 17:30 + 30 on a 09:00–18:00 day is 18:00).
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        if minutes == 0:
            return start
        if self.always:
            return start + datetime.timedelta(minutes=minutes)
        remaining = datetime.timedelta(minutes=minutes)
        for begin, finish in self.spans_from(start):
            available = finish - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: spans_from raises past its horizon")

    def minutes_between(self, start: datetime.datetime, end: datetime.datetime) -> float:
        """Working minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        if self.always:
            return (end - start).total_seconds() / 60
        total = datetime.timedelta()
        for begin, finish in self.spans_from(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return total.total_seconds() / 60


_loaded: ContextVar[dict[int, "Schedule"] | None] = ContextVar("schedules_loaded", default=None)


@contextlib.contextmanager
def schedules_kept() -> Iterator[None]:
    """Within this block each calendar is loaded once: for batch work (the demo loader)
    that times thousands of clocks and changes no calendar meanwhile."""
    token = _loaded.set({})
    try:
        yield
    finally:
        _loaded.reset(token)


def schedule_for(calendar: BusinessCalendar) -> Schedule:
    """A calendar in memory: loaded with two queries (its hours, and the statutory days if
    it follows them), or kept from earlier inside ``schedules_kept``."""
    kept = _loaded.get()
    if kept is None:
        return _schedule_load(calendar)
    if calendar.pk not in kept:
        kept[calendar.pk] = _schedule_load(calendar)
    return kept[calendar.pk]


def _schedule_load(calendar: BusinessCalendar) -> Schedule:
    zone = ZoneInfo(calendar.time_zone)
    if calendar.is_24x7:
        return Schedule(zone=zone, always=True)
    weekly: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for interval in WorkingInterval.objects.filter(calendar=calendar).order_by("weekday", "start"):
        weekly.setdefault(interval.weekday, []).append((interval.start, interval.end))
    days_off: set[datetime.date] = set()
    extra: set[datetime.date] = set()
    if calendar.follows_statutory_calendar:
        for day, kind in StatutoryDay.objects.values_list("date", "kind"):
            (days_off if kind == StatutoryDay.Kind.HOLIDAY else extra).add(day)
    return Schedule(
        zone=zone,
        weekly={weekday: tuple(spans) for weekday, spans in weekly.items()},
        days_off=frozenset(days_off),
        extra_workdays=frozenset(extra),
    )


DEFAULT_CALENDAR = "标准工作时间"


def default_calendar() -> BusinessCalendar | None:
    """The calendar the seeded SLA policies use, 标准工作时间 (None if it was removed)."""
    return BusinessCalendar.objects.filter(name=DEFAULT_CALENDAR).first()


def statutory_years_missing(years: Iterable[int]) -> list[int]:
    """Those of ``years`` with no day of the State Council's notice on record: on a calendar
    that follows it, every weekday of such a year counts as a working day."""
    wanted = sorted(set(years))
    known = {
        day.year for day in StatutoryDay.objects.filter(date__year__in=wanted).dates("date", "year")
    }
    return [year for year in wanted if year not in known]


def statutory_years_to_check(today: datetime.date) -> list[int]:
    """This year, and from October (when the next year's notice is usually published) the
    next one."""
    return [today.year, today.year + 1] if today.month >= 10 else [today.year]
