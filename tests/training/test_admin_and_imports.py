"""Training in the admin and in spreadsheets: attendance and scores imported all or nothing
through the services, records exported with Chinese headers, every list scoped."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from training import selectors, services
from training.exports import RECORD_HEADERS, record_rows, record_xlsx_response
from training.imports import RowError, scores_import
from training.models import (
    Certificate,
    Enrolment,
    RetrainingFlag,
    TrainingAlert,
    TrainingPlan,
    TrainingSession,
)
from training.resources import SHEET_HEADERS, EnrolmentResource

ENROLMENTS = reverse("admin:training_enrolment_changelist")
IMPORT_SCORES = reverse("admin:training_enrolment_import_scores")
SECURITY = "信息安全与合规"  # seeded with a 12-month certificate
CSV_FORMAT = "1"  # spreadsheets.EXPORT_FORMATS: XLSX, CSV


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in English, whatever the zh-hans catalogue holds."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def security(org, courses, make_session):
    """A security session with 张三 and 李四 (售前一组), 钱五 (售前二组) and 郑六 (投诉组)."""
    session = make_session(courses[SECURITY])
    services.enrol(
        actor=None, session=session, people=[org.agent, org.agent2, org.agent_p2, org.agent_b]
    )
    return session


def sheet_rows(rows: list[list]) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=SHEET_HEADERS)


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(SHEET_HEADERS)
    for row in rows:
        sheet.append(row)
    upload = io.BytesIO()
    book.save(upload)
    return upload.getvalue()


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    return sheet_rows(rows).export("csv").encode(encoding)


def good_rows(org, session) -> list[list]:
    """张三 graded 良好 (88.4) and 李四 late and failed (50.0)."""
    return [
        [org.agent.employee_number, "张三", session.pk, SECURITY, "出席", 60, 90, 80, 85, 88, 92],
        [org.agent2.employee_number, "李四", session.pk, "", "迟到", "", "", "", "", "", "50"],
    ]


def enrolment_of(staff, session) -> Enrolment:
    return Enrolment.objects.get(staff=staff, session=session)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ── Import ───────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("encode", "file_name"),
    [
        (xlsx_bytes, "成绩.xlsx"),
        (lambda rows: csv_bytes(rows, "utf-8-sig"), "成绩.csv"),
        (lambda rows: csv_bytes(rows, "utf-8"), "scores.CSV"),
        (lambda rows: csv_bytes(rows, "gb18030"), "成绩-excel.csv"),
    ],
    ids=["xlsx", "csv-utf8-bom", "csv-utf8", "csv-gb18030"],
)
def test_good_sheet_records_attendance_and_grades_people(org, security, encode, file_name):
    result = scores_import(
        actor=org.supervisor, file=io.BytesIO(encode(good_rows(org, security))), file_name=file_name
    )

    assert (result.ok, result.imported, result.unchanged, result.errors) == (True, 2, 0, [])
    zhang = enrolment_of(org.agent, security)
    assert (zhang.attendance, zhang.result, zhang.grade) == ("present", Decimal("88.4"), "good")
    assert (zhang.pre_score, zhang.exam, zhang.assessed_by) == (
        Decimal("60.0"),
        Decimal("92.0"),
        org.supervisor,
    )
    certificate = Certificate.objects.get(enrolment=zhang)
    assert certificate.expires_on == certificate.issued_on + relativedelta(months=12)
    li = enrolment_of(org.agent2, security)
    assert (li.attendance, li.result, li.grade) == ("late", Decimal("50.0"), "fail")
    assert not Certificate.objects.filter(enrolment=li).exists()


def test_importing_the_same_sheet_again_changes_nothing(org, security):
    content = xlsx_bytes(good_rows(org, security))
    scores_import(actor=org.supervisor, file=content, file_name="a.xlsx")
    assessed_at = enrolment_of(org.agent, security).assessed_at

    again = scores_import(actor=org.manager, file=content, file_name="a.xlsx")

    assert (again.imported, again.unchanged, again.errors) == (0, 2, [])
    zhang = enrolment_of(org.agent, security)
    assert (zhang.assessed_at, zhang.assessed_by) == (assessed_at, org.supervisor)


def test_sheet_with_bad_rows_imports_nothing_and_reports_each_row(org, courses, security):
    number = org.agent.employee_number
    rows = [
        good_rows(org, security)[0],
        ["X999", "", security.pk, "", "出席", "", "", "", "", "", "80"],
        [org.agent2.employee_number, "李四", security.pk, "", "", "", "", "", "", "", "120"],
        [number, "张三", security.pk, "", "旷工", "", "", "", "", "", ""],
        [org.agent_p2.employee_number, "钱五", security.pk, "", "出席", "", "", "", "", "", "80"],
        [org.agent2.employee_number, "李四四", 999999, "", "缺席", "", "", "", "", "", "70"],
    ]

    result = scores_import(actor=org.supervisor, file=xlsx_bytes(rows), file_name="bad.xlsx")

    assert (result.ok, result.imported, result.unchanged) == (False, 0, 0)
    assert result.errors == [
        RowError(3, "No staff member has the employee number “X999”."),
        RowError(4, "考试 “120” is not a score from 0 to 100."),
        RowError(5, f"张三 in session {security.pk} already appears in row 2."),
        RowError(5, "出勤 “旷工” is not one of 出席, 迟到, 缺席, 请假."),
        RowError(
            6,
            f"{org.agent_p2.employee_number} is outside your scope: "
            "you cannot record their training.",
        ),
        RowError(7, f"Employee number {org.agent2.employee_number} is 李四, not “李四四”."),
        RowError(7, "There is no session number 999999."),
    ]  # fmt: skip
    untouched = Enrolment.objects.filter(session=security)
    assert set(untouched.values_list("attendance", "exam", "grade")) == {("enrolled", None, "")}
    assert not Certificate.objects.exists()


def test_scores_for_someone_absent_or_not_enrolled_are_refused(
    org, courses, security, make_session
):
    other = make_session(courses["产品知识"])
    services.attendance_record(
        actor=None, enrolment=enrolment_of(org.agent2, security), attendance="excused"
    )
    rows = [
        [org.agent.employee_number, "", security.pk, "", "缺席", "", "", "", "", "", "80"],
        [org.agent2.employee_number, "", security.pk, "", "", "", "", "", "", "", "80"],
        [org.agent.employee_number, "", other.pk, "服务技巧与沟通", "", "", "", "", "", "", "80"],
    ]

    result = scores_import(actor=org.supervisor, file=xlsx_bytes(rows), file_name="x.xlsx")

    assert result.errors == [
        RowError(2, "Someone who did not attend cannot be assessed."),
        RowError(3, "Someone who did not attend cannot be assessed."),
        RowError(4, f"Session {other.pk} is of the course 产品知识, not “服务技巧与沟通”."),
        RowError(4, f"张三 is not enrolled in session {other.pk}."),
    ]
    assert enrolment_of(org.agent, security).attendance == "enrolled"


def test_supervisor_cannot_import_for_another_group(org, security):
    rows = [[org.agent_p2.employee_number, "钱五", security.pk, "", "出席", "", "", "", "", "", 95]]

    refused = scores_import(actor=org.supervisor, file=xlsx_bytes(rows), file_name="s.xlsx")
    allowed = scores_import(actor=org.supervisor2, file=xlsx_bytes(rows), file_name="s.xlsx")

    assert refused.errors == [
        RowError(
            2,
            f"{org.agent_p2.employee_number} is outside your scope: "
            "you cannot record their training.",
        )
    ]
    assert (allowed.imported, allowed.errors) == (1, [])
    assert enrolment_of(org.agent_p2, security).assessed_by == org.supervisor2


def test_unreadable_or_headerless_files_are_reported_as_a_whole(org, security):
    wrong_kind = scores_import(actor=org.supervisor, file=b"%PDF-1.7", file_name="成绩.pdf")
    broken = scores_import(actor=org.supervisor, file=b"not a zip", file_name="成绩.xlsx")
    no_key = scores_import(
        actor=org.supervisor, file="姓名,考试\n张三,80\n".encode(), file_name="成绩.csv"
    )

    assert wrong_kind.errors == [RowError(None, "Upload an XLSX or CSV file.")]
    assert broken.errors == [RowError(None, "The file cannot be read as XLSX.")]
    assert no_key.errors == [
        RowError(None, "The file has no column 工号、场次编号 (the first row holds the headers).")
    ]


def test_admin_import_page_records_a_gb18030_csv(org, login, security):
    client = login(org.manager)
    upload = io.BytesIO(csv_bytes(good_rows(org, security), "gb18030"))
    upload.name = "成绩.csv"

    page = client.get(IMPORT_SCORES)
    response = client.post(IMPORT_SCORES, {"file": upload})

    assert page.status_code == 200
    assert response.status_code == 302
    assert flashed(response) == ["2 rows recorded; 0 rows were already up to date."]
    assert enrolment_of(org.agent, security).grade == "good"
    assert enrolment_of(org.agent, security).assessed_by == org.manager


def test_admin_import_page_lists_bad_rows_and_imports_nothing(org, login, security):
    client = login(org.supervisor)
    rows = [*good_rows(org, security), ["X999", "", security.pk, "", "", "", "", "", "", "", 1]]
    upload = io.BytesIO(xlsx_bytes(rows))
    upload.name = "成绩.xlsx"

    response = client.post(IMPORT_SCORES, {"file": upload})

    assert response.status_code == 200
    assert response.context["errors"] == [
        RowError(4, "No staff member has the employee number “X999”.")
    ]
    assert "No staff member has the employee number “X999”." in response.content.decode()
    assert not Enrolment.objects.filter(session=security).exclude(grade="").exists()


def test_score_sheet_template_lists_the_people_in_scope(org, login, security):
    client = login(org.supervisor)

    blank = client.get(reverse("admin:training_enrolment_score_sheet"))
    filled = client.get(reverse("admin:training_enrolment_score_sheet"), {"session": security.pk})

    assert blank["Content-Type"].startswith("application/vnd.openxmlformats")
    assert list(read_xlsx(blank.content)) == [tuple(SHEET_HEADERS)]
    assert [row[:5] for row in read_xlsx(filled.content)][1:] == [
        (org.agent.employee_number, "张三", security.pk, SECURITY, None),
        (org.agent2.employee_number, "李四", security.pk, SECURITY, None),
    ]


def test_the_specialist_and_qa_have_no_import(org, login):
    assert login(org.agent).get(IMPORT_SCORES).status_code == 302  # not admin staff: to login
    assert login(org.qa).get(IMPORT_SCORES).status_code == 403


# ── Export ───────────────────────────────────────────────────────────────────────────────


def read_xlsx(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)


def test_export_has_chinese_headers_and_values_in_scope(org, login, security):
    scores_import(
        actor=org.supervisor, file=xlsx_bytes(good_rows(org, security)), file_name="a.xlsx"
    )
    zhang = enrolment_of(org.agent, security)
    client = login(org.manager)

    response = client.post(
        reverse("admin:training_enrolment_export"),
        {
            "format": CSV_FORMAT,
            "resource": "0",
            **{f"enrolmentresource_{name}": "on" for name in EnrolmentResource._meta.fields},
        },
    )

    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "工号,姓名,部门/组,课程,场次编号,场次,开始时间,第几次,出勤,"
        "培训前测,课堂表现,课后作业,案例分析,实战演练,考试,成绩,等级,证书到期"
    )
    starts = timezone.localtime(security.starts_at).strftime("%Y-%m-%d %H:%M")
    expires = zhang.certificate.expires_on.isoformat()
    assert lines[1:] == [
        f"{org.agent.employee_number},张三,售前部/售前一组,{SECURITY},{security.pk},{SECURITY},"
        f"{starts},1,出席,60.0,90.0,80.0,85.0,88.0,92.0,88.4,良好,{expires}",
        f"{org.agent2.employee_number},李四,售前部/售前一组,{SECURITY},{security.pk},{SECURITY},"
        f"{starts},1,迟到,,,,,,50.0,50.0,不合格,",
        f"{org.agent_p2.employee_number},钱五,售前部/售前二组,{SECURITY},{security.pk},{SECURITY},"
        f"{starts},1,已报名,,,,,,,,,",
    ]


def test_training_record_is_the_persons_timeline(org, courses, security, make_session):
    earlier = make_session(courses["产品知识"], days=-30)
    services.enrol(actor=None, session=earlier, people=[org.agent])
    services.assessment_record(
        actor=org.supervisor, enrolment=enrolment_of(org.agent, earlier), scores={"exam": 95}
    )

    rows = record_rows(org.agent)

    assert [(row["课程"], row["出勤"], row["成绩"], row["等级"]) for row in rows] == [
        ("产品知识", "出席", Decimal("95.0"), "优秀"),
        (SECURITY, "已报名", "", ""),
    ]
    assert list(rows[0]) == RECORD_HEADERS


def test_training_records_download_as_xlsx(org, security):
    services.assessment_record(
        actor=None, enrolment=enrolment_of(org.agent, security), scores={"exam": 70}
    )
    expires = Certificate.objects.get().expires_on.isoformat()

    one = record_xlsx_response(type(org.agent).objects.filter(pk=org.agent.pk))
    several = record_xlsx_response([org.agent, org.agent2])

    assert one["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in one["Content-Disposition"]
    assert "%E5%9F%B9%E8%AE%AD%E6%A1%A3%E6%A1%88" in one["Content-Disposition"]  # 培训档案
    sheet = list(read_xlsx(one.content))
    assert sheet[0] == tuple(RECORD_HEADERS)
    assert sheet[1][:2] == (org.agent.employee_number, "张三")
    assert sheet[1][-3:] == (70, "合格", expires)
    assert [row[1] for row in read_xlsx(several.content)][1:] == ["张三", "李四"]


# ── Admin lists, pages and edits ─────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("supervisor", {"张三", "李四"}),
        ("manager", {"张三", "李四", "钱五"}),
        ("hr", {"张三", "李四", "钱五", "郑六"}),
        ("director", {"张三", "李四", "钱五", "郑六"}),
    ],
)
def test_enrolment_list_is_scoped(org, login, security, who, sees):
    response = login(getattr(org, who)).get(ENROLMENTS)

    assert response.status_code == 200
    assert {enrolment.staff.name for enrolment in response.context["cl"].result_list} == sees


def test_supervisor_sees_sessions_and_enrolments_only(org, login, security):
    client = login(org.supervisor)
    enrolments = client.get(ENROLMENTS).content.decode()

    statuses = {
        model: client.get(reverse(f"admin:training_{model}_changelist")).status_code
        for model in ("trainingsession", "enrolment", "course", "certificate", "trainingplan")
    }

    assert statuses == {
        "trainingsession": 200,
        "enrolment": 200,
        "course": 403,
        "certificate": 403,
        "trainingplan": 403,
    }
    assert IMPORT_SCORES in enrolments


def test_score_sheet_action_downloads_the_sessions_people_in_scope(org, login, security):
    response = login(org.manager).post(
        reverse("admin:training_trainingsession_changelist"),
        {"action": "download_score_sheet", "_selected_action": [security.pk]},
    )

    assert response.status_code == 200
    assert [row[1] for row in read_xlsx(response.content)] == ["姓名", "张三", "李四", "钱五"]


def test_course_roles_are_chosen_from_the_role_list(org, login, courses):
    course = courses["销售技巧"]
    response = login(org.manager).post(
        reverse("admin:training_course_change", args=[course.pk]),
        {
            "name": course.name,
            "category": course.category,
            "purpose": course.purpose,
            "description": course.description,
            "duration_hours": "4",
            "required_for_roles": ["specialist", "supervisor"],
            "required_within_days": "30",
            "certificate_months": "",
            "is_active": "on",
            "materials-TOTAL_FORMS": "1",
            "materials-INITIAL_FORMS": "0",
            "materials-0-title": "销售话术手册",
            "materials-0-url": "https://wiki.example.cn/sales",
        },
    )

    assert response.status_code == 302
    course.refresh_from_db()
    assert course.required_for_roles == ["specialist", "supervisor"]
    assert list(course.materials.values_list("title", "url")) == [
        ("销售话术手册", "https://wiki.example.cn/sales")
    ]


def test_scores_edited_in_the_admin_are_graded_through_the_service(org, login, security):
    zhang = enrolment_of(org.agent, security)
    client = login(org.supervisor)
    url = reverse("admin:training_enrolment_change", args=[zhang.pk])

    response = client.post(
        url,
        {"attendance": "late", "pre_score": "", "classroom": "", "homework": "",
         "case_analysis": "", "drill": "", "exam": "91"},
    )  # fmt: skip

    assert response.status_code == 302
    zhang.refresh_from_db()
    assert (zhang.attendance, zhang.result, zhang.grade, zhang.assessed_by) == (
        "late",
        Decimal("91.0"),
        "excellent",
        org.supervisor,
    )
    assert Certificate.objects.filter(enrolment=zhang).exists()


def test_scores_for_an_absentee_are_a_form_error_and_write_nothing(org, login, security):
    zhang = enrolment_of(org.agent, security)
    client = login(org.supervisor)
    url = reverse("admin:training_enrolment_change", args=[zhang.pk])

    response = client.post(
        url,
        {"attendance": "absent", "pre_score": "", "classroom": "", "homework": "",
         "case_analysis": "", "drill": "", "exam": "91"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "Someone who did not attend cannot be assessed."
    ]
    zhang.refresh_from_db()
    assert (zhang.attendance, zhang.exam, zhang.grade) == ("enrolled", None, "")


def test_supervisor_cannot_open_an_enrolment_of_another_group(org, login, security):
    qian = enrolment_of(org.agent_p2, security)

    response = login(org.supervisor).get(reverse("admin:training_enrolment_change", args=[qian.pk]))

    assert response.status_code == 302  # the admin's "does not exist" redirect to the index
    assert response.url == reverse("admin:index")


def test_mark_absent_action_records_attendance_and_reports_refusals(org, login, security):
    client = login(org.supervisor)
    zhang, li = enrolment_of(org.agent, security), enrolment_of(org.agent2, security)

    response = client.post(
        ENROLMENTS, {"action": "mark_absent", "_selected_action": [zhang.pk, li.pk]}
    )

    assert response.status_code == 302
    assert flashed(response) == ["2 enrolments updated."]
    assert set(Enrolment.objects.filter(pk__in=[zhang.pk, li.pk]).values_list(
        "attendance", flat=True
    )) == {"absent"}  # fmt: skip


def test_enrol_a_team_action_enrols_the_group_through_the_service(
    org, login, courses, make_session
):
    session = make_session(courses["团队协作"])
    client = login(org.supervisor)
    url = reverse("admin:training_trainingsession_changelist")
    selected = {"action": "enrol_people", "_selected_action": [session.pk]}

    form = client.post(url, selected)
    response = client.post(url, {**selected, "team": org.presales1.pk, "confirm": "1"})

    assert form.status_code == 200
    assert response.status_code == 302
    assert flashed(response) == [f"{session}: 3 people enrolled."]
    assert set(session.enrolments.values_list("staff__name", flat=True)) == {
        "李主管",
        "张三",
        "李四",
    }


def test_role_enrolment_is_limited_to_the_scope(org, login, courses, make_session):
    session = make_session(courses["团队协作"])
    client = login(org.manager)

    client.post(
        reverse("admin:training_trainingsession_changelist"),
        {
            "action": "enrol_people",
            "_selected_action": [session.pk],
            "role": "specialist",
            "confirm": "1",
        },
    )

    assert set(session.enrolments.values_list("staff__name", flat=True)) == {
        "张三",
        "李四",
        "钱五",
    }


def test_retraining_decision_goes_through_the_service(org, login, courses, make_session):
    course = courses[SECURITY]
    first, retake = make_session(course), make_session(course, days=5)
    services.enrol(actor=None, session=first, people=[org.agent])
    failed = services.assessment_record(
        actor=None, enrolment=enrolment_of(org.agent, first), scores={"exam": 30}
    )
    again = services.retake_enrol(actor=None, enrolment=failed, session=retake)
    services.assessment_record(actor=None, enrolment=again, scores={"exam": 40})
    flag = RetrainingFlag.objects.get()
    client = login(org.manager)

    response = client.post(
        reverse("admin:training_retrainingflag_change", args=[flag.pk]),
        {"outcome": "reassign", "note": "调岗到售后"},
    )

    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.outcome, flag.note, flag.decided_by) == ("reassign", "调岗到售后", org.manager)


def test_every_training_admin_page_renders_for_the_director(
    org, login, courses, security, make_session
):
    course = courses[SECURITY]
    zhang = services.assessment_record(
        actor=None, enrolment=enrolment_of(org.agent, security), scores={"exam": 80}
    )
    plan = TrainingPlan.objects.create(
        department=org.presales, year=2026, title="年度培训", goal="全员合规", owner=org.manager
    )
    alert = TrainingAlert.objects.create(
        staff=org.agent2,
        course=course,
        kind=TrainingAlert.Kind.REQUIRED_OVERDUE,
        due_on=datetime.date(2026, 1, 31),
    )
    first, retake = make_session(course, days=2), make_session(course, days=3)
    services.enrol(actor=None, session=first, people=[org.agent_b])
    failed = services.assessment_record(
        actor=None, enrolment=enrolment_of(org.agent_b, first), scores={"exam": 30}
    )
    again = services.retake_enrol(actor=None, enrolment=failed, session=retake)
    services.assessment_record(actor=None, enrolment=again, scores={"exam": 30})
    flag = RetrainingFlag.objects.get()
    client = login(org.director)
    urls = [
        reverse("admin:app_list", args=["training"]),
        reverse("admin:training_course_add"),
        reverse("admin:training_course_change", args=[course.pk]),
        reverse("admin:training_gradescale_change", args=[1]),
        reverse("admin:training_trainingplan_add"),
        reverse("admin:training_trainingplan_change", args=[plan.pk]),
        reverse("admin:training_trainingsession_add"),
        reverse("admin:training_trainingsession_change", args=[security.pk]),
        reverse("admin:training_enrolment_change", args=[zhang.pk]),
        reverse("admin:training_enrolment_export"),
        IMPORT_SCORES,
        reverse("admin:training_certificate_change", args=[zhang.certificate.pk]),
        reverse("admin:training_retrainingflag_change", args=[flag.pk]),
        reverse("admin:training_trainingalert_change", args=[alert.pk]),
    ] + [
        reverse(f"admin:training_{model}_changelist")
        for model in (
            "course",
            "gradescale",
            "trainingplan",
            "trainingsession",
            "enrolment",
            "certificate",
            "retrainingflag",
            "trainingalert",
        )
    ]

    statuses = {url: client.get(url).status_code for url in urls}

    assert statuses == dict.fromkeys(urls, 200)


def test_session_added_in_the_admin_goes_through_the_service(org, login, courses):
    client = login(org.hr)
    starts = timezone.localtime() + datetime.timedelta(days=3)

    response = client.post(
        reverse("admin:training_trainingsession_add"),
        {
            "course": courses[SECURITY].pk,
            "title": "",
            "kind": "lecture",
            "starts_at_0": starts.strftime("%Y-%m-%d"),
            "starts_at_1": "09:00:00",
            "ends_at_0": starts.strftime("%Y-%m-%d"),
            "ends_at_1": "12:00:00",
            "place": "3楼培训室",
            "capacity": "20",
            "enrolments-TOTAL_FORMS": "0",
            "enrolments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert (session.title, session.place, session.capacity, session.status) == (
        SECURITY,
        "3楼培训室",
        20,
        "planned",
    )


def plan_form(org, **changes) -> dict:
    return {
        "department": org.presales.pk,
        "year": "2026",
        "title": "售前部年度培训计划",
        "goal": "新品上市前全员通过产品知识考核",
        "content": "产品知识、服务技巧",
        "owner": org.manager.pk,
        "budget": "20000",
        "q1": "2",
        "q2": "3",
        "q3": "2",
        "q4": "4",
        **changes,
    }


def test_a_plans_quarters_are_four_numbers_in_the_admin(org, login):
    client = login(org.manager)

    added = client.post(reverse("admin:training_trainingplan_add"), plan_form(org))
    plan = TrainingPlan.objects.get()
    page = client.get(reverse("admin:training_trainingplan_change", args=[plan.pk]))
    negative = client.post(
        reverse("admin:training_trainingplan_change", args=[plan.pk]), plan_form(org, q2="-1")
    )

    assert added.status_code == 302
    assert plan.planned_sessions == [2, 3, 2, 4]
    assert 'name="q4" value="4"' in page.content.decode()
    assert negative.status_code == 200
    assert "q2" in negative.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.planned_sessions == [2, 3, 2, 4]
    assert [row["planned"] for row in selectors.plan_vs_actual(plan)] == [2, 3, 2, 4]


def test_a_plan_is_kept_by_its_departments_leads(org):
    plan = TrainingPlan(
        department=org.aftersales,
        year=2026,
        title="售后部年度培训",
        goal="投诉处理",
        owner=org.manager_b,
    )

    with pytest.raises(PermissionDenied, match="售后部"):
        services.plan_save(actor=org.manager, plan=plan)
    with pytest.raises(PermissionDenied):
        services.plan_save(actor=org.supervisor_b, plan=plan)
    plan.planned_sessions = ["two"]
    with pytest.raises(ValidationError, match="Q1 to Q4"):
        services.plan_save(actor=org.manager_b, plan=plan)
    plan.planned_sessions = [1, 1, 1, 1]
    services.plan_save(actor=org.manager_b, plan=plan)

    assert TrainingPlan.objects.get().owner == org.manager_b
