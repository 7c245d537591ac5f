"""Attendance and scores in from a spreadsheet (XLSX, or CSV in UTF-8 with or without BOM,
or GB18030 as Excel saves it in China).

One row per enrolment, keyed by 工号 and 场次编号 (the session number the admin and the
score sheet show); 姓名 and 课程 are optional and, when given, must match. 出勤 is 出席,
迟到, 缺席 or 请假; the scores (培训前测, 课堂表现, 课后作业, 案例分析, 实战演练, 考试) are
numbers from 0 to 100. An empty cell leaves what is recorded as it is.

Every row is checked before anything is written, and a file with any bad row imports
nothing. Rows are applied through ``training.services`` with the importer as the actor, so
the scope rule holds (a supervisor records their own group only) and a score is graded and
acted on (certificate, on post, retraining flag) as if entered by hand.
"""

import csv
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import IO

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from import_export.formats.base_formats import XLSX
from openpyxl.utils.exceptions import InvalidFileException
from tablib.core import InvalidDimensions

from csmanage import spreadsheets
from staff.models import Staff
from training import services
from training.models import Enrolment, TrainingSession
from training.resources import SCORE_COLUMNS, attendance_from

REQUIRED_HEADERS = ("工号", "场次编号")
NOT_ATTENDED = (Enrolment.Attendance.ABSENT, Enrolment.Attendance.EXCUSED)
#: The header is row 1 of the sheet, so the first record is row 2 (as Excel numbers it).
FIRST_ROW = 2


@dataclass(frozen=True)
class RowError:
    """What is wrong with a row of the file, by its row number as the spreadsheet shows it
    (the header is row 1); ``row`` is None for a problem with the whole file."""

    row: int | None
    message: str


@dataclass
class ScoresImportResult:
    """``imported``: rows that recorded something; ``unchanged``: rows matching what was
    already recorded. With any ``errors`` nothing was imported (both counts are 0)."""

    imported: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Change:
    row: int
    enrolment: Enrolment
    attendance: str | None
    scores: dict[str, Decimal]


class _FileProblem(Exception):
    pass


def scores_import(
    *, actor: Staff | None, file: IO[bytes] | bytes, file_name: str
) -> ScoresImportResult:
    """Record the attendance and scores of a sheet (see the module's docstring), all rows or
    none. ``actor`` is the importing staff member (None: the system, no scope). Returns the
    counts, or every bad row with its reason."""
    content = file if isinstance(file, bytes) else file.read()
    try:
        dataset = _dataset(content, file_name)
    except _FileProblem as problem:
        return ScoresImportResult(errors=[RowError(None, str(problem))])
    changes, errors = _check(actor, dataset)
    if errors:
        return ScoresImportResult(errors=errors)
    with transaction.atomic():
        for change in changes:
            try:
                if change.attendance is not None:
                    services.attendance_record(
                        actor=actor, enrolment=change.enrolment, attendance=change.attendance
                    )
                if change.scores:
                    services.assessment_record(
                        actor=actor, enrolment=change.enrolment, scores=change.scores
                    )
            except (PermissionDenied, ValidationError) as error:
                errors.append(RowError(change.row, _reason(error)))
        if errors:
            transaction.set_rollback(True)
            return ScoresImportResult(errors=errors)
    return ScoresImportResult(imported=len(changes), unchanged=_rows(dataset) - len(changes))


def _reason(error: Exception) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


def _dataset(content: bytes, file_name: str) -> tablib.Dataset:
    suffix = Path(file_name or "").suffix.lower()
    if suffix == ".xlsx":
        file_format = XLSX()
    elif suffix == ".csv":
        file_format = spreadsheets.CSV()
    else:
        raise _FileProblem(_("Upload an XLSX or CSV file."))
    try:
        dataset = file_format.create_dataset(content)
    except (
        ValueError,
        KeyError,
        StopIteration,
        csv.Error,
        zipfile.BadZipFile,
        InvalidFileException,
        InvalidDimensions,
    ):
        raise _FileProblem(
            _("The file cannot be read as %(format)s.") % {"format": suffix[1:].upper()}
        ) from None
    dataset.headers = [_text(header) for header in dataset.headers or []]
    if missing := [header for header in REQUIRED_HEADERS if header not in dataset.headers]:
        raise _FileProblem(
            _("The file has no column %(columns)s (the first row holds the headers).")
            % {"columns": "、".join(missing)}
        )
    return dataset


def _rows(dataset: tablib.Dataset) -> int:
    return sum(1 for _row_number, _values in _records(dataset))


def _records(dataset: tablib.Dataset):
    """(row number, {header: cell}) of the rows with anything in them."""
    for index, values in enumerate(dataset.dict):
        if any(_text(value) for value in values.values()):
            yield index + FIRST_ROW, values


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps 1001 as 1001.0
    return str(value).strip().lstrip("\ufeff")


def _cells(values: dict):
    return lambda header: _text(values.get(header))


def _score(text: str) -> Decimal:
    number = text.removesuffix("分").strip()
    try:
        score = Decimal(number).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValueError from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise ValueError
    return score


def _check(actor: Staff | None, dataset: tablib.Dataset) -> tuple[list[_Change], list[RowError]]:
    """Every row checked against the database before anything is written: the changes to
    make, or every row's errors."""
    records = list(_records(dataset))
    if not records:
        return [], [RowError(None, _("The file has no rows to import."))]
    numbers = {_text(values.get("工号")) for _row, values in records}
    people = {
        person.employee_number: person
        for person in Staff.objects.filter(employee_number__in=numbers)
    }
    session_ids = {
        int(text) for _row, values in records if (text := _text(values.get("场次编号"))).isdigit()
    }
    sessions = TrainingSession.objects.select_related("course").in_bulk(session_ids)
    enrolments = {
        (enrolment.staff_id, enrolment.session_id): enrolment
        for enrolment in Enrolment.objects.filter(
            session_id__in=session_ids, staff__in=people.values()
        )
    }
    manageable: dict[int, bool] = {}
    seen: dict[tuple[int, int], int] = {}
    changes: list[_Change] = []
    errors: list[RowError] = []

    for row, values in records:
        problems: list[str] = []
        cell = _cells(values)
        number, session_text = cell("工号"), cell("场次编号")
        person = people.get(number)
        if not number:
            problems.append(_("工号 is empty."))
        elif person is None:
            problems.append(
                _("No staff member has the employee number “%(number)s”.") % {"number": number}
            )
        elif actor is not None:
            if person.pk not in manageable:
                manageable[person.pk] = services.may_manage(actor, person)
            if not manageable[person.pk]:
                problems.append(
                    _("%(number)s is outside your scope: you cannot record their training.")
                    % {"number": number}
                )
                person = None
        if person is not None and cell("姓名") and cell("姓名") != person.name:
            problems.append(
                _("Employee number %(number)s is %(name)s, not “%(given)s”.")
                % {"number": number, "name": person.name, "given": cell("姓名")}
            )

        session = sessions.get(int(session_text)) if session_text.isdigit() else None
        if not session_text:
            problems.append(_("场次编号 is empty."))
        elif session is None:
            problems.append(_("There is no session number %(id)s.") % {"id": session_text})
        else:
            if session.status == TrainingSession.Status.CANCELLED:
                problems.append(_("Session %(id)s was cancelled.") % {"id": session.pk})
            if cell("课程") and cell("课程") != session.course.name:
                problems.append(
                    _("Session %(id)s is of the course %(course)s, not “%(given)s”.")
                    % {"id": session.pk, "course": session.course.name, "given": cell("课程")}
                )

        enrolment = None
        if person is not None and session is not None:
            enrolment = enrolments.get((person.pk, session.pk))
            if enrolment is None:
                problems.append(
                    _("%(name)s is not enrolled in session %(id)s.")
                    % {"name": person.name, "id": session.pk}
                )
            elif (earlier := seen.setdefault((person.pk, session.pk), row)) != row:
                problems.append(
                    _("%(name)s in session %(id)s already appears in row %(row)s.")
                    % {"name": person.name, "id": session.pk, "row": earlier}
                )

        attendance = None
        if cell("出勤"):
            attendance = attendance_from(cell("出勤"))
            if attendance is None:
                problems.append(
                    _("出勤 “%(value)s” is not one of 出席, 迟到, 缺席, 请假.")
                    % {"value": cell("出勤")}
                )

        scores: dict[str, Decimal] = {}
        for header, part in SCORE_COLUMNS.items():
            if not cell(header):
                continue
            try:
                scores[part] = _score(cell(header))
            except ValueError:
                problems.append(
                    _("%(column)s “%(value)s” is not a score from 0 to 100.")
                    % {"column": header, "value": cell(header)}
                )

        if enrolment is not None:
            attended = attendance or enrolment.attendance
            if scores and attended in NOT_ATTENDED:
                problems.append(_("Someone who did not attend cannot be assessed."))

        if problems:
            errors.extend(RowError(row, problem) for problem in problems)
            continue
        if attendance == enrolment.attendance:
            attendance = None
        scores = {
            part: score for part, score in scores.items() if getattr(enrolment, part) != score
        }
        if attendance is not None or scores:
            changes.append(_Change(row, enrolment, attendance, scores))
    return changes, errors
