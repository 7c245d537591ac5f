"""The training pages: my training, team training, a session's scores, scope."""

import pytest
from django.utils import timezone

from staff.models import Staff
from tests.staff.factories import StaffFactory
from training import services
from training.models import Enrolment, TrainingPlan


@pytest.fixture
def onboarding(org, courses, make_session):
    new_hire = StaffFactory(
        name="新人小周", team=org.presales1, status=Staff.Status.PROBATION, onboarding_passed=False
    )
    session = make_session(courses["新员工入职培训"], days=-5, title="入职培训第一期")
    (enrolment,) = services.enrol(actor=None, session=session, people=[new_hire])
    return new_hire, session, enrolment


def test_team_training_shows_onboarding_to_the_supervisor_only(org, login, onboarding):
    _new_hire, _session, _enrolment = onboarding

    page = login(org.supervisor).get("/training/team/").content.decode()
    other = login(org.supervisor2).get("/training/team/").content.decode()

    assert "新人小周" in page
    assert "入职培训第一期" in page
    assert "新人小周" not in other
    assert login(org.agent).get("/training/team/").status_code == 403


def test_the_supervisor_scores_the_exam_and_the_new_hire_goes_on_post(org, login, onboarding):
    new_hire, session, enrolment = onboarding
    client = login(org.supervisor)
    prefix = f"e{enrolment.pk}"

    page = client.get(f"/training/sessions/{session.pk}/")
    response = client.post(
        f"/training/enrolments/{enrolment.pk}/assess/",
        {f"{prefix}-attendance": "present", f"{prefix}-exam": "82"},
        follow=True,
    )

    assert page.status_code == 200
    assert response.status_code == 200
    enrolment.refresh_from_db()
    new_hire.refresh_from_db()
    assert (enrolment.result, enrolment.grade) == (82, Enrolment.Grade.GOOD)
    assert new_hire.status == Staff.Status.ON_POST
    assert "在岗" in response.content.decode()


def test_bad_scores_are_refused_with_a_message(org, login, onboarding):
    _new_hire, _session, enrolment = onboarding
    prefix = f"e{enrolment.pk}"

    response = login(org.supervisor).post(
        f"/training/enrolments/{enrolment.pk}/assess/",
        {f"{prefix}-attendance": "present", f"{prefix}-exam": "180"},
        follow=True,
    )

    enrolment.refresh_from_db()
    assert enrolment.exam is None
    assert "新人小周" in response.content.decode()


def test_another_groups_session_and_enrolments_are_404(org, login, onboarding):
    _new_hire, session, enrolment = onboarding
    client = login(org.supervisor2)
    prefix = f"e{enrolment.pk}"

    assert client.get(f"/training/sessions/{session.pk}/").status_code == 404
    response = client.post(f"/training/enrolments/{enrolment.pk}/assess/", {f"{prefix}-exam": "90"})
    assert response.status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.exam is None


def test_enrol_a_team_from_the_session_page(org, login, courses, make_session):
    session = make_session(courses["产品知识"])

    login(org.supervisor).post(
        f"/training/sessions/{session.pk}/enrol/", {"team": org.presales1.pk}, follow=True
    )
    refused = login(org.supervisor).post(
        f"/training/sessions/{session.pk}/enrol/", {"people": [org.agent_b.pk]}, follow=True
    )

    names = set(session.enrolments.values_list("staff__name", flat=True))
    assert names == {"李主管", "张三", "李四"}
    assert refused.status_code == 200


def test_my_training_lists_upcoming_history_and_takes_feedback(org, login, courses, make_session):
    upcoming = make_session(courses["团队协作"], days=2, title="团队协作工作坊")
    held = make_session(courses["产品知识"], days=-2, title="新品知识讲解")
    services.enrol(actor=None, session=upcoming, people=[org.agent])
    (past,) = services.enrol(actor=None, session=held, people=[org.agent])
    services.assessment_record(actor=None, enrolment=past, scores={"exam": 91})
    client = login(org.agent)

    page = client.get("/training/").content.decode()
    client.post(f"/training/enrolments/{past.pk}/feedback/", {"score": "5", "comment": "很好"})

    assert "团队协作工作坊" in page
    assert "新品知识讲解" in page
    assert "91.0" in page
    past.refresh_from_db()
    assert past.feedback_score == 5
    assert (
        client.post(f"/training/enrolments/{past.pk + 999}/feedback/", {"score": "5"}).status_code
        == 404
    )


def test_the_supervisor_downloads_the_sheet_and_imports_it_back(org, login, onboarding):
    from io import BytesIO

    from openpyxl import load_workbook

    new_hire, session, enrolment = onboarding
    client = login(org.supervisor)

    sheet = client.get(f"/training/sessions/{session.pk}/sheet.xlsx")
    book = load_workbook(BytesIO(sheet.content))
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    headers = rows[0]
    row = rows[1]
    row[headers.index("出勤")] = "出席"
    row[headers.index("考试")] = 77
    book.active.delete_rows(2)
    book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.name = "成绩.xlsx"
    buffer.seek(0)
    done = client.post(f"/training/sessions/{session.pk}/upload/", {"file": buffer}, follow=True)

    assert sheet.status_code == 200
    assert "新人小周" in [value for r in rows for value in r]
    enrolment.refresh_from_db()
    new_hire.refresh_from_db()
    assert (enrolment.exam, enrolment.grade) == (77, Enrolment.Grade.GOOD)
    assert new_hire.status == Staff.Status.ON_POST
    assert done.status_code == 200


def test_a_bad_sheet_imports_nothing_and_names_the_row(org, login, onboarding):
    import tablib

    from training.resources import SHEET_HEADERS

    _new_hire, session, enrolment = onboarding
    values = dict.fromkeys(SHEET_HEADERS, "")
    values.update({"工号": enrolment.staff.employee_number, "场次编号": session.pk, "考试": 120})
    data = tablib.Dataset(list(values.values()), headers=SHEET_HEADERS)
    upload = BytesIOFile(data.export("csv").encode("utf-8"), "成绩.csv")

    response = login(org.supervisor).post(
        f"/training/sessions/{session.pk}/upload/", {"file": upload}, follow=True
    )

    enrolment.refresh_from_db()
    assert enrolment.exam is None
    flashed = [str(message) for message in response.context["messages"]]
    assert len(flashed) == 2
    assert flashed[1].startswith(("第 2 行", "Row 2"))


def test_my_record_downloads(org, login):
    response = login(org.agent).get("/training/record.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )


class BytesIOFile:
    """An upload for the test client."""

    def __init__(self, content: bytes, name: str) -> None:
        from io import BytesIO

        self._buffer = BytesIO(content)
        self.name = name

    def read(self, *args):
        return self._buffer.read(*args)


def test_a_lead_takes_someone_off_a_session(org, login, courses, make_session):
    session = make_session(courses["产品知识"])
    (enrolment,) = services.enrol(actor=None, session=session, people=[org.agent])

    login(org.supervisor2).post(f"/training/enrolments/{enrolment.pk}/withdraw/")
    assert session.enrolments.count() == 1
    login(org.supervisor).post(f"/training/enrolments/{enrolment.pk}/withdraw/", follow=True)

    assert session.enrolments.count() == 0


def test_the_lead_marks_a_session_held_once_attendance_is_in(org, login, courses, make_session):
    session = make_session(courses["产品知识"], days=-0.1, title="产品知识第三期")
    (enrolment,) = services.enrol(actor=None, session=session, people=[org.agent])
    client = login(org.supervisor)
    url = f"/training/sessions/{session.pk}/status/"

    page = client.get(f"/training/sessions/{session.pk}/").content.decode()
    refused = client.post(url, {"status": "done"}, follow=True).content.decode()
    services.attendance_record(actor=None, enrolment=enrolment, attendance="present")
    done = client.post(url, {"status": "done"}, follow=True).content.decode()

    assert ">标记为已举行</button>" in page
    assert "请先记录 张三 的出勤" in refused
    assert "产品知识第三期 已标记为已举行" in done
    session.refresh_from_db()
    assert session.status == "done"
    assert ">标记为已举行</button>" not in done
    assert ">恢复为计划中</button>" in done


def test_another_groups_lead_cannot_cancel_a_shared_session(org, login, courses, make_session):
    session = make_session(courses["产品知识"])
    services.enrol(actor=None, session=session, people=[org.agent, org.agent_p2])

    page = login(org.supervisor).get(f"/training/sessions/{session.pk}/").content.decode()
    answer = login(org.supervisor).post(
        f"/training/sessions/{session.pk}/status/", {"status": "cancelled"}, follow=True
    )
    login(org.agent).post(f"/training/sessions/{session.pk}/status/", {"status": "cancelled"})
    junk = login(org.manager).post(f"/training/sessions/{session.pk}/status/", {"status": "x"})

    assert 'id="session-actions"' not in page
    assert answer.status_code == 200
    assert junk.status_code == 302
    session.refresh_from_db()
    assert session.status == "planned"
    assert "取消" in login(org.manager).get(f"/training/sessions/{session.pk}/").content.decode()


@pytest.fixture
def busy(org, courses, make_session):
    """Past and coming sessions of every course with the whole presales department
    enrolled and assessed, a plan with sessions, feedback, a retake and a flag."""
    people = [org.agent, org.agent2, org.agent_p2]
    plan = TrainingPlan.objects.create(
        department=org.presales,
        year=timezone.localdate().year,
        title="年度培训",
        goal="全员达标",
        owner=org.manager,
        planned_sessions=[2, 2, 2, 2],
    )
    for days, course in enumerate(courses.values(), start=1):
        past = make_session(course, days=-days, plan=plan)
        make_session(course, days=days)
        for enrolment in services.enrol(actor=None, session=past, people=people):
            services.attendance_record(actor=None, enrolment=enrolment, attendance="present")
            services.assessment_record(actor=None, enrolment=enrolment, scores={"exam": 55})
            services.feedback_record(staff=enrolment.staff, enrolment=enrolment, score=4)
    return people


@pytest.mark.parametrize(
    ("who", "url", "budget"),
    [
        ("agent", "/training/", 7),
        ("supervisor", "/training/team/", 10),
        ("manager", "/training/team/", 12),
    ],
)
def test_training_pages_take_a_fixed_number_of_queries(
    org, login, busy, who, url, budget, django_assert_max_num_queries
):
    client = login(getattr(org, who))

    with django_assert_max_num_queries(budget):
        response = client.get(url)

    assert response.status_code == 200


def test_a_session_page_takes_a_fixed_number_of_queries(
    org, login, courses, make_session, django_assert_max_num_queries
):
    session = make_session(courses["产品知识"], days=-1)
    people = [StaffFactory(team=org.presales1) for _ in range(12)]
    for enrolment in services.enrol(actor=None, session=session, people=people):
        services.assessment_record(actor=None, enrolment=enrolment, scores={"exam": 80})
    client = login(org.supervisor)

    with django_assert_max_num_queries(10):
        response = client.get(f"/training/sessions/{session.pk}/")

    assert response.content.decode().count("data-staff=") == 12
