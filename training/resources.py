"""Training records in spreadsheets, with the Chinese headers leads and HR work with.

The headers are part of the file format, so they stay Chinese whatever the UI language.
One row is one enrolment (a person in a session). The same columns serve the admin export,
the per-person training record (``training.exports``) and the attendance and score sheet
that ``training.imports.scores_import`` reads back: an exported file can be filled in and
imported again.
"""

from decimal import Decimal

from django.utils import timezone, translation
from import_export import fields, resources

from staff.models import Staff
from training.models import Enrolment

#: Score column → assessment part (``training.services.PARTS`` and ``pre_score``).
SCORE_COLUMNS = {
    "培训前测": "pre_score",
    "课堂表现": "classroom",
    "课后作业": "homework",
    "案例分析": "case_analysis",
    "实战演练": "drill",
    "考试": "exam",
}
#: Columns of the attendance and score sheet; 工号 and 场次编号 are the key of a row.
SHEET_HEADERS = ["工号", "姓名", "场次编号", "课程", "出勤", *SCORE_COLUMNS]
#: Words a sheet may use for attendance, besides the choice labels in either language.
ATTENDANCE_WORDS = {
    "出席": Enrolment.Attendance.PRESENT,
    "出勤": Enrolment.Attendance.PRESENT,
    "到场": Enrolment.Attendance.PRESENT,
    "迟到": Enrolment.Attendance.LATE,
    "缺席": Enrolment.Attendance.ABSENT,
    "缺勤": Enrolment.Attendance.ABSENT,
    "请假": Enrolment.Attendance.EXCUSED,
    "已报名": Enrolment.Attendance.ENROLLED,
}
ATTENDANCE_LABELS = {
    Enrolment.Attendance.ENROLLED: "已报名",
    Enrolment.Attendance.PRESENT: "出席",
    Enrolment.Attendance.LATE: "迟到",
    Enrolment.Attendance.ABSENT: "缺席",
    Enrolment.Attendance.EXCUSED: "请假",
}
GRADE_LABELS = {
    Enrolment.Grade.FAIL: "不合格",
    Enrolment.Grade.PASS: "合格",
    Enrolment.Grade.GOOD: "良好",
    Enrolment.Grade.EXCELLENT: "优秀",
}


def attendance_from(text: str) -> str | None:
    """The attendance a sheet's cell means (出席, 迟到, 缺席, 请假, the labels in either
    language or the stored value), or None if it means none."""
    word = text.strip().lower()
    if word in ATTENDANCE_WORDS:
        return ATTENDANCE_WORDS[word]
    for choice in Enrolment.Attendance:
        names = {choice.value}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(str(choice.label).lower())
        if word in names:
            return choice.value
    return None


def team_label(staff: Staff) -> str:
    """部门/组 as a sheet writes it: 售前部/售前一组, or the one team someone belongs to."""
    team = staff.team
    if team is None:
        return ""
    return f"{team.parent.name}/{team.name}" if team.parent_id else team.name


def local_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class EnrolmentResource(resources.ModelResource):
    """Enrolments out, one row each (export only: scores come in through
    ``training.imports``, which applies them through the services)."""

    employee_number = fields.Field(column_name="工号", readonly=True)
    name = fields.Field(column_name="姓名", readonly=True)
    team = fields.Field(column_name="部门/组", readonly=True)
    course = fields.Field(column_name="课程", readonly=True)
    session_id = fields.Field(column_name="场次编号", readonly=True)
    session = fields.Field(column_name="场次", readonly=True)
    starts_at = fields.Field(column_name="开始时间", readonly=True)
    attempt = fields.Field(column_name="第几次", readonly=True)
    attendance = fields.Field(column_name="出勤", readonly=True)
    pre_score = fields.Field(column_name="培训前测", readonly=True)
    classroom = fields.Field(column_name="课堂表现", readonly=True)
    homework = fields.Field(column_name="课后作业", readonly=True)
    case_analysis = fields.Field(column_name="案例分析", readonly=True)
    drill = fields.Field(column_name="实战演练", readonly=True)
    exam = fields.Field(column_name="考试", readonly=True)
    result = fields.Field(column_name="成绩", readonly=True)
    grade = fields.Field(column_name="等级", readonly=True)
    certificate_expires = fields.Field(column_name="证书到期", readonly=True)

    class Meta:
        model = Enrolment
        fields = (
            "employee_number",
            "name",
            "team",
            "course",
            "session_id",
            "session",
            "starts_at",
            "attempt",
            "attendance",
            "pre_score",
            "classroom",
            "homework",
            "case_analysis",
            "drill",
            "exam",
            "result",
            "grade",
            "certificate_expires",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "staff__team__parent", "session__course", "certificate"
        ).order_by("staff__employee_number", "session__starts_at", "pk")

    def dehydrate_employee_number(self, enrolment: Enrolment) -> str:
        return enrolment.staff.employee_number

    def dehydrate_name(self, enrolment: Enrolment) -> str:
        return enrolment.staff.name

    def dehydrate_team(self, enrolment: Enrolment) -> str:
        return team_label(enrolment.staff)

    def dehydrate_course(self, enrolment: Enrolment) -> str:
        return enrolment.session.course.name

    def dehydrate_session_id(self, enrolment: Enrolment) -> int:
        return enrolment.session_id

    def dehydrate_session(self, enrolment: Enrolment) -> str:
        return enrolment.session.title

    def dehydrate_starts_at(self, enrolment: Enrolment) -> str:
        return local_time(enrolment.session.starts_at)

    def dehydrate_attempt(self, enrolment: Enrolment) -> int:
        return enrolment.attempt

    def dehydrate_attendance(self, enrolment: Enrolment) -> str:
        return ATTENDANCE_LABELS[enrolment.attendance]

    def _score(self, value: Decimal | None) -> Decimal | str:
        return "" if value is None else value

    def dehydrate_pre_score(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.pre_score)

    def dehydrate_classroom(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.classroom)

    def dehydrate_homework(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.homework)

    def dehydrate_case_analysis(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.case_analysis)

    def dehydrate_drill(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.drill)

    def dehydrate_exam(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.exam)

    def dehydrate_result(self, enrolment: Enrolment) -> Decimal | str:
        return self._score(enrolment.result)

    def dehydrate_grade(self, enrolment: Enrolment) -> str:
        return GRADE_LABELS.get(enrolment.grade, "")

    def dehydrate_certificate_expires(self, enrolment: Enrolment) -> str:
        certificate = getattr(enrolment, "certificate", None)
        return certificate.expires_on.isoformat() if certificate else ""
