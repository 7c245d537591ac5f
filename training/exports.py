"""Training records out: a person's training record (培训档案 — every session they were in,
in order, with attendance, scores, grade and certificate) and the attendance and score sheet
of sessions, as XLSX downloads.

Callers pass what the user may see (``staff_list_for``, ``enrolment`` querysets already
scoped); nothing here widens or checks scope.
"""

from collections.abc import Iterable

import tablib
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from import_export.formats.base_formats import XLSX

from staff.models import Staff
from training.models import Enrolment
from training.resources import (
    ATTENDANCE_LABELS,
    SCORE_COLUMNS,
    SHEET_HEADERS,
    EnrolmentResource,
)

#: The columns of a training record, in order.
RECORD_HEADERS = list(EnrolmentResource().get_export_headers())


def _records(enrolments: QuerySet[Enrolment]) -> tablib.Dataset:
    return EnrolmentResource().export(queryset=enrolments)


def record_rows(staff: Staff) -> list[dict[str, object]]:
    """One person's training record, oldest session first: one dict per enrolment, keyed
    by the Chinese headers of ``RECORD_HEADERS`` (工号, 姓名, 部门/组, 课程, 场次编号, 场次,
    开始时间, 第几次, 出勤, the scores, 成绩, 等级, 证书到期). Scores are Decimals or ""."""
    return _records(Enrolment.objects.filter(staff=staff)).dict


def xlsx_response(dataset: tablib.Dataset, file_name: str) -> HttpResponse:
    response = HttpResponse(XLSX().export_data(dataset), content_type=XLSX.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file_name)
    return response


def record_xlsx_response(staff_queryset: QuerySet[Staff] | Iterable[Staff]) -> HttpResponse:
    """The training records of these people as one XLSX sheet (a person's rows together,
    oldest session first), as a download named 培训档案-<name>-<date>.xlsx for one person
    or 培训档案-<date>.xlsx for several."""
    people = list(staff_queryset)
    dataset = _records(Enrolment.objects.filter(staff__in=[person.pk for person in people]))
    today = timezone.localdate().isoformat()
    if len(people) == 1:
        file_name = f"培训档案-{people[0].name}-{people[0].employee_number}-{today}.xlsx"
    else:
        file_name = f"培训档案-{today}.xlsx"
    return xlsx_response(dataset, file_name)


def score_sheet(enrolments: QuerySet[Enrolment] | None = None) -> tablib.Dataset:
    """The attendance and score sheet ``training.imports.scores_import`` reads: the headers,
    and a row per enrolment given with what is recorded so far (a blank template without)."""
    dataset = tablib.Dataset(headers=SHEET_HEADERS)
    if enrolments is None:
        return dataset
    enrolments = enrolments.select_related("staff", "session__course").order_by(
        "session__starts_at", "session_id", "staff__employee_number"
    )
    for enrolment in enrolments:
        attendance = enrolment.attendance
        if attendance == Enrolment.Attendance.ENROLLED:
            attendance = ""
        dataset.append(
            [
                enrolment.staff.employee_number,
                enrolment.staff.name,
                enrolment.session_id,
                enrolment.session.course.name,
                ATTENDANCE_LABELS.get(attendance, ""),
                *(
                    "" if getattr(enrolment, part) is None else getattr(enrolment, part)
                    for part in SCORE_COLUMNS.values()
                ),
            ]
        )
    return dataset


def score_sheet_xlsx_response(enrolments: QuerySet[Enrolment] | None = None) -> HttpResponse:
    today = timezone.localdate().isoformat()
    return xlsx_response(score_sheet(enrolments), f"出勤与成绩-{today}.xlsx")
