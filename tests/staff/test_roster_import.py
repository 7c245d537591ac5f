"""Staff rosters (花名册) through the admin: good files import, a bad row imports nothing."""

import io
import re

import openpyxl
import pytest
import tablib
from django.contrib.auth import get_user_model
from django.urls import reverse

from staff.models import Staff
from staff.resources import StaffResource

User = get_user_model()
HEADERS = [
    "工号",
    "姓名",
    "登录名",
    "邮箱",
    "角色",
    "团队",
    "专长",
    "技能",
    "入职日期",
    "状态",
    "入职考核通过",
]
GOOD_ROWS = [
    ["N1001", "韩梅梅", "hanmm", "hanmm@example.cn", "客服专员", "售前一组", "售前", "chat、英语",
     "2026-11-02", "试用期", "否"],
    ["N1002", "李雷", "lilei", "", "specialist", "售前二组", "presales", "", "2026/11/02", "", "0"],
    ["N1003", "王质检", "wangqa", "", "质检专员", "", "", "", "2026年11月02日", "在岗", "是"],
]  # fmt: skip
IMPORT_URL = reverse("admin:staff_staff_import")
PROCESS_URL = reverse("admin:staff_staff_process_import")
XLSX, CSV = "0", "1"


def csv_file(rows, encoding="utf-8-sig", name="roster.csv"):
    data = tablib.Dataset(*rows, headers=HEADERS).export("csv")
    upload = io.BytesIO(data.encode(encoding))
    upload.name = name
    return upload


def xlsx_file(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = "roster.xlsx"
    return upload


def preview(client, upload, file_format):
    return client.post(IMPORT_URL, {"import_file": upload, "format": file_format, "resource": "0"})


def confirm(client, response):
    form = response.context["confirm_form"]
    return client.post(PROCESS_URL, {**form.initial, "resource": "0"})


@pytest.mark.parametrize(
    ("upload", "file_format"),
    [
        (lambda: csv_file(GOOD_ROWS), CSV),
        (lambda: csv_file(GOOD_ROWS, encoding="gb18030"), CSV),
        (lambda: xlsx_file(GOOD_ROWS), XLSX),
    ],
    ids=["csv-utf8", "csv-gb18030-from-excel", "xlsx"],
)
def test_good_roster_imports_every_row(org, login, upload, file_format):
    client = login(org.hr)

    response = preview(client, upload(), file_format)
    assert response.status_code == 200
    assert not response.context["result"].has_validation_errors()
    assert not Staff.objects.filter(employee_number__startswith="N1").exists()  # preview only

    done = confirm(client, response)

    assert done.status_code == 302
    han = Staff.objects.get(employee_number="N1001")
    assert (han.name, han.role, han.team, han.specialisation) == (
        "韩梅梅",
        "specialist",
        org.presales1,
        "presales",
    )
    assert han.skills == ["chat", "英语"]
    assert han.reports_to == org.supervisor
    assert han.status == Staff.Status.PROBATION
    assert han.user.username == "hanmm"
    assert han.user.has_usable_password() is False
    assert Staff.objects.get(employee_number="N1002").hire_date.isoformat() == "2026-11-02"
    qa = Staff.objects.get(employee_number="N1003")
    assert (qa.role, qa.status, qa.onboarding_passed) == ("qa_inspector", "on_post", True)


def test_roster_with_bad_rows_reports_each_and_imports_nothing(org, login):
    client = login(org.hr)
    rows = [
        GOOD_ROWS[0],
        ["N1002", "李雷", "lilei", "", "客服大王", "售前一组", "", "", "2026-11-02", "", "否"],
        ["N1003", "", "agent", "", "客服专员", "不存在的组", "", "", "明天", "", "否"],
        ["N1004", "赵主管二", "zhao2", "", "客服主管", "售前一组", "", "", "2026-11-02", "", "否"],
    ]
    users_before = User.objects.count()

    response = preview(client, csv_file(rows), CSV)

    result = response.context["result"]
    assert result.has_validation_errors()
    errors = {row.number: row.error.message_dict for row in result.invalid_rows}
    assert set(errors) == {2, 3, 4}
    assert "客服大王" in errors[2]["role"][0]
    assert set(errors[3]) == {"name", "team", "hire_date", "username"}
    assert "李主管" in errors[4]["team"][0]
    page = response.content.decode()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert re.search(r"客服大王", page)
    assert User.objects.count() == users_before
    assert not Staff.objects.filter(
        employee_number__in=["N1001", "N1002", "N1003", "N1004"]
    ).exists()


def test_import_updates_existing_staff_by_employee_number(org):
    rows = [
        [
            org.agent.employee_number,
            "张三丰",
            "ignored",
            "",
            "客服专员",
            "售前二组",
            "",
            "投诉",
            "2025-01-06",
            "",
            "是",
        ]
    ]
    dataset = tablib.Dataset(*rows, headers=HEADERS)

    result = StaffResource(actor=org.hr, user=org.hr.user).import_data(
        dataset, use_transactions=True
    )

    assert not result.has_errors()
    assert not result.has_validation_errors()
    org.agent.refresh_from_db()
    assert (org.agent.name, org.agent.team, org.agent.skills) == ("张三丰", org.presales2, ["投诉"])
    assert org.agent.status == Staff.Status.ON_POST  # a blank status keeps the current one


def test_manager_cannot_import_into_another_department(org):
    rows = [["N2001", "越权", "yuequan", "", "客服专员", "投诉组", "", "", "2026-11-02", "", "否"]]
    dataset = tablib.Dataset(*rows, headers=HEADERS)

    result = StaffResource(actor=org.manager, user=org.manager.user).import_data(
        dataset, use_transactions=True, rollback_on_validation_errors=True
    )

    assert result.has_validation_errors()
    assert not Staff.objects.filter(employee_number="N2001").exists()


def test_supervisor_has_no_import(org, login):
    assert login(org.supervisor).get(IMPORT_URL).status_code == 403


def test_export_has_chinese_headers_and_is_scoped(org, login):
    client = login(org.manager)

    response = client.post(
        reverse("admin:staff_staff_export"),
        {
            "format": CSV,
            "resource": "0",
            **{f"staffresource_{f}": "on" for f in StaffResource._meta.fields},
        },
    )

    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("工号,姓名,登录名")
    exported_names = {line.split(",")[1] for line in lines[1:]}
    assert exported_names == {"王经理", "李主管", "赵主管", "张三", "李四", "钱五"}


def test_the_same_person_twice_in_one_file_is_an_error(org, login):
    rows = [GOOD_ROWS[0], [*GOOD_ROWS[0][:2], "hanmm2", *GOOD_ROWS[0][3:]]]

    response = preview(login(org.hr), csv_file(rows), CSV)

    errors = {row.number: row.error.message_dict for row in response.context["result"].invalid_rows}
    assert errors == {2: {"employee_number": ["“N1001”已在本文件第 1 行出现。"]}}
    assert not Staff.objects.filter(employee_number="N1001").exists()
