"""Calendars in the admin: the due-time check, hours to midnight, importing a new year."""

import io

import tablib
from django.urls import reverse
from django.utils import timezone

from tickets.models import BusinessCalendar, StatutoryDay, WorkingInterval


def test_calendar_page_computes_a_due_time(org, login):
    calendar = BusinessCalendar.objects.get(name="标准工作时间")
    url = reverse("admin:tickets_businesscalendar_change", args=[calendar.pk])

    response = login(org.director).get(
        url, {"check_start": "2026-09-30T17:30", "check_minutes": "60"}
    )

    assert response.status_code == 200
    assert response.context["due_check_result"].isoformat() == "2026-10-08T09:30:00+08:00"


def test_an_evening_shift_can_end_at_24_00(org, login):
    response = login(org.director).post(
        reverse("admin:tickets_businesscalendar_add"),
        {
            "name": "晚班",
            "time_zone": "Asia/Shanghai",
            "intervals-TOTAL_FORMS": "1",
            "intervals-INITIAL_FORMS": "0",
            "intervals-0-weekday": "6",
            "intervals-0-start": "18:30",
            "intervals-0-end": "24:00",
        },
    )

    assert response.status_code == 302
    interval = WorkingInterval.objects.get(calendar__name="晚班")
    assert str(interval) == "星期日 18:30–24:00"


def test_interval_ending_before_it_starts_is_refused(org, login):
    response = login(org.director).post(
        reverse("admin:tickets_businesscalendar_add"),
        {
            "name": "错班",
            "time_zone": "Asia/Shanghai",
            "intervals-TOTAL_FORMS": "1",
            "intervals-INITIAL_FORMS": "0",
            "intervals-0-weekday": "0",
            "intervals-0-start": "18:00",
            "intervals-0-end": "09:00",
        },
    )

    assert response.status_code == 200
    assert not BusinessCalendar.objects.filter(name="错班").exists()


def _csv(rows):
    upload = io.BytesIO(
        tablib.Dataset(*rows, headers=["日期", "类型", "名称"]).export("csv").encode()
    )
    upload.name = "2027.csv"
    return upload


def test_importing_a_new_years_notice(org, login):
    client = login(org.director)
    rows = [["2027-01-01", "休", "元旦"], ["2027-02-07", "班", "春节"]]

    preview = client.post(
        reverse("admin:tickets_statutoryday_import"),
        {"import_file": _csv(rows), "format": "1", "resource": "0"},
    )
    done = client.post(
        reverse("admin:tickets_statutoryday_process_import"),
        {**preview.context["confirm_form"].initial, "resource": "0"},
    )

    assert done.status_code == 302
    assert StatutoryDay.objects.get(date="2027-01-01").kind == "holiday"
    assert StatutoryDay.objects.get(date="2027-02-07").kind == "workday"
    assert StatutoryDay.objects.get(date="2027-02-07").source == "import"


def test_a_notice_with_a_bad_row_imports_nothing(org, login):
    rows = [["2027-01-01", "休", "元旦"], ["2027-13-40", "休", "?"], ["2027-02-07", "加班", "春节"]]

    response = login(org.director).post(
        reverse("admin:tickets_statutoryday_import"),
        {"import_file": _csv(rows), "format": "1", "resource": "0"},
    )

    result = response.context["result"]
    assert [number for number, _errors in result.row_errors()] == [2]
    assert {row.number: set(row.error.message_dict) for row in result.invalid_rows} == {3: {"kind"}}
    assert not StatutoryDay.objects.filter(date__year=2027).exists()


def test_calendar_pages_warn_of_a_year_without_a_notice(org, login, settings):
    calendar = BusinessCalendar.objects.get(name="标准工作时间")
    client = login(org.director)
    this_year = timezone.localdate().year
    StatutoryDay.objects.filter(date__year=this_year).delete()

    pages = [
        client.get(reverse("admin:tickets_statutoryday_changelist")),
        client.get(reverse("admin:tickets_businesscalendar_change", args=[calendar.pk])),
    ]

    for page in pages:
        assert f"尚无 {this_year} 年的国务院放假安排" in page.content.decode()
