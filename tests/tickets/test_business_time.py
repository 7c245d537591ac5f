"""Working-time arithmetic on business calendars: weekends, evenings to midnight, the 2026
National Day holiday, an adjusted working Saturday (调休), and properties for all inputs."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.business_time import (
    NoWorkingTime,
    Schedule,
    schedule_for,
    statutory_years_missing,
    statutory_years_to_check,
)
from tickets.models import BusinessCalendar, StatutoryDay, WorkingInterval
from tickets.services.calendars import statutory_days_import, statutory_rows_from_package

SHANGHAI = ZoneInfo("Asia/Shanghai")
NINE, SIX_PM, HALF_SIX_PM, MIDNIGHT = (
    datetime.time(9),
    datetime.time(18),
    datetime.time(18, 30),
    datetime.time(0),
)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def standard(db):
    """ "标准工作时间" with the statutory calendar (both seeded by migration; ensured here)."""
    if not StatutoryDay.objects.exists():
        statutory_days_import(rows=statutory_rows_from_package(), source="package")
    calendar, created = BusinessCalendar.objects.get_or_create(name="标准工作时间")
    if created:
        for weekday in range(5):
            WorkingInterval.objects.create(
                calendar=calendar, weekday=weekday, start=NINE, end=SIX_PM
            )
    return schedule_for(calendar)


@pytest.fixture
def evenings(db):
    """晚班 every day 18:30–24:00, no holidays."""
    calendar = BusinessCalendar.objects.create(name="晚班", follows_statutory_calendar=False)
    for weekday in range(7):
        WorkingInterval.objects.create(
            calendar=calendar, weekday=weekday, start=HALF_SIX_PM, end=MIDNIGHT
        )
    return schedule_for(calendar)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        ("2026-11-18 10:00", 60, "2026-11-18 11:00"),  # inside a working day
        ("2026-11-18 07:00", 30, "2026-11-18 09:30"),  # before opening
        ("2026-11-18 17:30", 30, "2026-11-18 18:00"),  # ends exactly at closing
        ("2026-11-18 17:30", 60, "2026-11-19 09:30"),  # overnight
        ("2026-11-20 17:30", 60, "2026-11-23 09:30"),  # Friday → Monday across the weekend
        ("2026-11-21 12:00", 10, "2026-11-23 09:10"),  # starting on a Saturday
        ("2026-09-30 17:30", 60, "2026-10-08 09:30"),  # across National Day (1–7 October)
        ("2026-10-09 17:30", 60, "2026-10-10 09:30"),  # 10 October is a worked Saturday (调休)
        ("2026-09-18 17:30", 60, "2026-09-20 09:30"),  # so is Sunday 20 September
        ("2026-09-30 09:00", 1620, "2026-10-09 18:00"),  # three 9-hour days: 30 Sep, 8 and 9 Oct
    ],
)
def test_standard_calendar_due_times(standard, start, minutes, due):
    assert standard.add(at(start), minutes) == at(due)


def test_complaint_first_response_across_national_day(standard):
    """The acceptance example: a complaint at 17:30 on 30 September, one working hour."""
    due = standard.add(at("2026-09-30 17:30"), 60)

    assert due.isoformat() == "2026-10-08T09:30:00+08:00"


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        ("2026-11-18 23:30", 30, "2026-11-19 00:00"),  # ends at midnight
        ("2026-11-18 23:30", 60, "2026-11-19 19:00"),  # continues the next evening
        ("2026-11-18 12:00", 330, "2026-11-19 00:00"),  # a whole evening is 5½ hours
        ("2026-11-19 00:00", 1, "2026-11-19 18:31"),  # midnight is the end, not a start
    ],
)
def test_evening_interval_ending_at_midnight(evenings, start, minutes, due):
    assert evenings.add(at(start), minutes) == at(due)


def test_minutes_between_counts_only_working_time(standard, evenings):
    assert standard.minutes_between(at("2026-09-30 17:30"), at("2026-10-08 09:30")) == 60
    assert standard.minutes_between(at("2026-10-08 09:30"), at("2026-09-30 17:30")) == 0
    assert evenings.minutes_between(at("2026-11-18 23:00"), at("2026-11-19 19:00")) == 90


def test_24x7_counts_every_minute(db):
    schedule = schedule_for(BusinessCalendar.objects.create(name="全天", is_24x7=True))

    assert schedule.add(at("2026-10-01 23:59"), 2) == at("2026-10-02 00:01")


def test_a_calendar_without_hours_says_so(db):
    schedule = schedule_for(
        BusinessCalendar.objects.create(name="空", follows_statutory_calendar=False)
    )

    with pytest.raises(NoWorkingTime):
        schedule.add(at("2026-11-18 10:00"), 1)


def test_imported_year_changes_the_arithmetic(standard):
    """A new year's notice (e.g. 2027, beyond the package) is imported into the table."""
    calendar = BusinessCalendar.objects.get(name="标准工作时间")
    statutory_days_import(rows=[(datetime.date(2027, 1, 1), "holiday", "元旦")])

    due = schedule_for(calendar).add(at("2026-12-31 17:30"), 60)

    assert due == at("2027-01-04 09:30")


def test_sla_due_command_prints_the_due_time_last(standard):
    out = io.StringIO()

    call_command("sla_due", start="2026-09-30T17:30", minutes=60, stdout=out)

    assert out.getvalue().splitlines()[-1] == "2026-10-08T09:30:00+08:00"


WEEK = Schedule(
    zone=SHANGHAI,
    weekly={day: ((NINE, datetime.time(12)), (datetime.time(13, 30), SIX_PM)) for day in range(5)}
    | {5: ((HALF_SIX_PM, MIDNIGHT),)},
    days_off=frozenset({datetime.date(2026, 10, day) for day in range(1, 8)}),
    extra_workdays=frozenset({datetime.date(2026, 10, 10)}),
)
# hypothesis draws naive datetimes between naive bounds; the zone is attached after.
starts = st.datetimes(
    min_value=datetime.datetime(2026, 9, 1),  # noqa: DTZ001
    max_value=datetime.datetime(2026, 12, 31),  # noqa: DTZ001
).map(lambda moment: moment.replace(tzinfo=SHANGHAI))
minutes = st.integers(min_value=0, max_value=20_000)


@settings(max_examples=300, deadline=None)
@given(start=starts, first=minutes, second=minutes)
def test_adding_a_then_b_is_adding_a_plus_b(start, first, second):
    assert WEEK.add(WEEK.add(start, first), second) == WEEK.add(start, first + second)


@settings(max_examples=300, deadline=None)
@given(start=starts, first=minutes, second=minutes)
def test_more_minutes_never_end_earlier(start, first, second):
    low, high = sorted((first, second))

    assert WEEK.add(start, low) <= WEEK.add(start, high)


@settings(max_examples=300, deadline=None)
@given(start=starts, amount=st.integers(min_value=1, max_value=20_000))
def test_minutes_between_undoes_add(start, amount):
    assert WEEK.minutes_between(start, WEEK.add(start, amount)) == amount


def test_sla_due_warns_when_it_crosses_into_a_year_without_a_notice(standard):
    out, err = io.StringIO(), io.StringIO()

    call_command("sla_due", start="2026-12-31T17:30", minutes=120, stdout=out, stderr=err)
    statutory_days_import(rows=[(datetime.date(2027, 1, 1), "holiday", "元旦")])
    quiet = io.StringIO()
    call_command("sla_due", start="2026-12-31T17:30", minutes=120, stdout=out, stderr=quiet)

    assert out.getvalue().splitlines()[1] == "2027-01-01T10:30:00+08:00"
    assert out.getvalue().splitlines()[-1] == "2027-01-04T10:30:00+08:00"
    assert "no holiday notice for 2027" in err.getvalue()
    assert quiet.getvalue() == ""


def test_years_without_a_notice_are_named_from_october(standard):
    assert statutory_years_to_check(datetime.date(2026, 9, 30)) == [2026]
    assert statutory_years_to_check(datetime.date(2026, 10, 1)) == [2026, 2027]
    assert statutory_years_missing([2025, 2026, 2027]) == [2027]
