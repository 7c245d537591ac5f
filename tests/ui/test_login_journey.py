"""A supervisor logs in (Chinese by default), works in English, and logs out."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_login_language_switch_and_logout(org, page):
    page.goto("/")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text("登录 CSManage")
    page.get_by_label("登录名").fill("supervisor")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(rf"/teams/{org.presales1.pk}/$"))
    expect(page.locator("h1")).to_contain_text("售前一组")
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("人员")
    expect(page.locator("table.grid")).to_contain_text("张三")
    expect(page.locator("table.grid")).not_to_contain_text("郑六")

    page.get_by_label("语言").select_option("en")

    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Staff")
    expect(page.locator("table.grid thead")).to_contain_text("Employee number")
    expect(page.locator("table.grid")).to_contain_text("Specialist")

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text("Log in to CSManage")


def test_wrong_password_shows_an_error(org, page):
    page.goto("/accounts/login/")
    page.get_by_label("登录名").fill("supervisor")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")
