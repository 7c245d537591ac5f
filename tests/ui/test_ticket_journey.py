"""An agent's day in the browser: claim from the queue, reply with a macro, resolve."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.staff.factories import StaffFactory
from tests.tickets.factories import CategoryFactory, MacroFactory, TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agent1(org):
    return StaffFactory(username="agent1", name="王小明", team=org.presales1, password=PASSWORD)


def test_agent_claims_replies_with_a_macro_and_resolves(org, agent1, page):
    ticket = TicketFactory(team=org.presales1, subject="快递三天没有更新")
    TicketFactory(team=org.complaints, subject="别组的投诉")
    MacroFactory(
        team=org.presales1,
        title="催件安抚",
        body="{customer_name}您好，我是{agent_name}，工单{ticket_number}已加急处理。",
    )
    CategoryFactory(name="物流延迟")
    console_errors = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    page.goto("/accounts/login/")
    page.get_by_label("登录名").fill("agent1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/tickets/queue/mine/$"))
    expect(page.locator("h1, .queue-tabs")).to_contain_text(["我的工单"])
    page.get_by_role("link", name=re.compile("未分配")).click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("快递三天没有更新")
    expect(page.locator("table.queue")).not_to_contain_text("别组的投诉")

    page.get_by_role("link", name=ticket.number).click()
    expect(page.locator("h1")).to_contain_text(ticket.number)
    page.get_by_role("button", name="领取").click()
    expect(page.locator(".ticket-side")).to_contain_text("王小明")

    page.get_by_label("话术").select_option(label="催件安抚")
    expect(page.locator("#id_body")).to_have_value(
        f"{ticket.customer.name}您好，我是王小明，工单{ticket.number}已加急处理。"
    )
    page.get_by_label("然后将状态设为").select_option("pending_customer")
    page.get_by_role("button", name="发送").click()
    expect(page.locator("article.msg.reply")).to_contain_text("已加急处理")
    expect(page.locator(".ticket-head")).to_contain_text("等待客户")

    page.locator("summary", has_text="解决").click()
    page.get_by_label("解决方案").fill("已联系快递加急派送，顾客确认收到。")
    page.get_by_label("分类").select_option(label="物流延迟")
    page.locator("#resolve-button").click()
    expect(page.locator(".ticket-head")).to_contain_text("已解决")

    page.get_by_role("link", name="工单", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tickets/queue/mine/$"))
    expect(page.locator("table.queue")).not_to_contain_text(ticket.number)
    expect(page.locator("[data-count=mine]")).to_have_text("0")
    assert console_errors == []
