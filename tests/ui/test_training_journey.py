"""Onboarding in the browser: a supervisor records a new hire's exam, the new hire is on
post and claims a ticket."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from staff.models import Staff
from tests.conftest import PASSWORD
from tests.staff.factories import StaffFactory
from tests.tickets.factories import TicketFactory
from training import services
from training.models import Course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_supervisor_scores_the_onboarding_exam_and_the_new_hire_claims(org, page, browser):
    from importlib import import_module

    from django.apps import apps

    if not Course.objects.exists():  # a transactional test flushed the seeded catalogue
        import_module("training.migrations.0002_seed_catalogue").seed(apps, None)
    new_hire = StaffFactory(
        username="xinren",
        name="新人小周",
        team=org.presales1,
        status=Staff.Status.PROBATION,
        onboarding_passed=False,
        password=PASSWORD,
    )
    start = timezone.now() - datetime.timedelta(days=5)
    session = services.session_create(
        actor=None,
        course=Course.objects.get(name="新员工入职培训"),
        title="十一月新员工入职培训",
        starts_at=start,
        ends_at=start + datetime.timedelta(days=4, hours=8),
    )
    services.enrol(actor=None, session=session, people=[new_hire])
    ticket = TicketFactory(team=org.presales1, subject="想问一下发货时间")
    console_errors = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )

    log_in(page, "supervisor")
    nav = page.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="团队培训").click()
    onboarding = page.locator("#onboarding")
    expect(onboarding).to_contain_text("新人小周")
    expect(onboarding).to_contain_text("试用期")
    onboarding.get_by_role("link", name="十一月新员工入职培训").click()
    page.get_by_label("新人小周 出勤").select_option("present")
    page.get_by_label("新人小周 考试").fill("86")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("ul.messages")).to_contain_text("上岗")
    expect(page.locator("tr[data-staff='新人小周']")).to_contain_text("良好")
    nav.get_by_role("link", name="团队培训").click()
    expect(page.locator("#onboarding")).not_to_contain_text("新人小周")

    other = browser.new_context(base_url=page.url.split("/training")[0], locale="zh-CN")
    agent_page = other.new_page()
    log_in(agent_page, "xinren")
    agent_page.goto(f"/tickets/{ticket.number}/")
    agent_page.get_by_role("button", name="领取").click()
    expect(agent_page.locator(".ticket-side")).to_contain_text("新人小周")
    other.close()
    new_hire.refresh_from_db()
    assert (new_hire.status, new_hire.onboarding_passed) == (Staff.Status.ON_POST, True)
    assert console_errors == []
