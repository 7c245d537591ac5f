"""The queue UI over HTTP: pages, actions through the services, scope, query budgets."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.tickets.factories import CategoryFactory, MacroFactory, TicketFactory
from tickets import services
from tickets.models import Message, PhoneReveal, Tag, Ticket, TicketEvent


@pytest.fixture
def ticket(org):
    return TicketFactory(team=org.presales1, subject="快递三天没有更新")


def queue_url(name, **params):
    url = reverse("tickets:queue", args=[name])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_agent_home_is_my_tickets(org, login):
    response = login(org.agent).get(reverse("home"))

    assert response.url == queue_url("mine")


def test_unassigned_view_lists_the_group_queue(org, login, ticket):
    other_group = TicketFactory(team=org.complaints)

    response = login(org.agent).get(queue_url("unassigned"))

    numbers = [t.number for t in response.context["tickets"]]
    assert numbers == [ticket.number]
    assert other_group.number not in response.content.decode()


def test_htmx_request_gets_only_the_rows(org, login, ticket):
    response = login(org.agent).get(queue_url("team"), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert "<table" in page
    assert "<html" not in page


def test_queue_row_shows_the_ticket_escaped_with_its_tags_and_time_left(org, login):
    ticket = TicketFactory(
        team=org.presales1,
        subject="<b>退款</b>",
        tags=[Tag.objects.create(name="VIP"), Tag.objects.create(name="Refund")],
    )
    due = timezone.now() + datetime.timedelta(hours=2, minutes=5, seconds=30)
    Ticket.objects.filter(pk=ticket.pk).update(
        escalation_level=1, sla_state="ok", first_response_due=due
    )

    response = login(org.supervisor).get(queue_url("team"), HTTP_HX_REQUEST="true")

    page = response.content.decode()
    href = reverse("tickets:detail", args=[ticket.number])
    title = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    assert f'<tr data-href="{href}" class="priority-P3">' in page
    assert (
        '<td class="subject">&lt;b&gt;退款&lt;/b&gt; <span class="tag">Refund</span> '
        '<span class="tag">VIP</span> <span class="badge escalated">已升级</span></td>'
    ) in page
    assert f'<span class="sla-due" title="{title}">2\xa0小时，5\xa0分钟</span>' in page
    assert "<td>—</td>" in page


def test_counts_fragment(org, login, ticket):
    TicketFactory(team=org.complaints)

    response = login(org.agent).get(reverse("tickets:counts") + "?queue=team")

    assert response.context["counts"] == {"mine": 0, "escalated": 0, "team": 1, "unassigned": 1}
    assert re.search(r'data-count="unassigned">1<', response.content.decode())


def test_ticket_of_another_group_is_404_by_url(org, login):
    other = TicketFactory(team=org.complaints)

    assert login(org.agent).get(reverse("tickets:detail", args=[other.number])).status_code == 404


def test_hr_and_qa_have_no_ticket_pages(org, login, ticket):
    assert login(org.hr).get(queue_url("mine")).status_code == 403
    assert login(org.qa).get(reverse("tickets:detail", args=[ticket.number])).status_code == 403


def test_claim_reply_resolve_through_the_page(org, login, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(org.agent)
    category = CategoryFactory(name="物流")

    client.post(reverse("tickets:action", args=[ticket.number, "claim"]))
    reply = client.post(
        reverse("tickets:reply", args=[ticket.number]),
        {
            "kind": "reply",
            "body": "您好，已为您催促快递。",
            "then_status": "pending_customer",
            "attachments": SimpleUploadedFile("单号.png", b"\x89PNG\r\n", content_type="image/png"),
        },
    )
    resolve = client.post(
        reverse("tickets:action", args=[ticket.number, "resolve"]),
        {"resolution_summary": "快递已签收", "category": category.pk},
    )

    ticket.refresh_from_db()
    assert reply.status_code == 302
    assert resolve.status_code == 302
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.assignee == org.agent
    message = ticket.messages.get()
    assert message.attachments.get().name == "单号.png"
    assert ticket.first_response_at == message.created_at


def test_refused_action_shows_a_message_and_changes_nothing(org, login, ticket):
    services.ticket_claim(actor=org.agent, ticket=ticket)
    events = TicketEvent.objects.count()

    response = login(org.agent2).post(
        reverse("tickets:action", args=[ticket.number, "status"]),
        {"status": "pending_internal"},
        follow=True,
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert TicketEvent.objects.count() == events
    assert "张三" in next(str(m) for m in response.context["messages"])


def test_reply_with_a_forbidden_file_keeps_the_text(org, login, ticket):
    services.ticket_claim(actor=org.agent, ticket=ticket)

    response = login(org.agent).post(
        reverse("tickets:reply", args=[ticket.number]),
        {"kind": "reply", "body": "请查收", "attachments": SimpleUploadedFile("virus.exe", b"MZ")},
    )

    assert response.status_code == 400
    assert "请查收" in response.content.decode()
    assert not Message.objects.exists()


def test_macros_are_filled_for_this_ticket(org, login, ticket):
    MacroFactory(
        team=org.presales1,
        title="催件",
        body="{customer_name}您好，{ticket_number}由{agent_name}跟进",
    )
    MacroFactory(team=org.complaints, title="投诉安抚")

    response = login(org.agent).get(reverse("tickets:detail", args=[ticket.number]))

    assert [m["title"] for m in response.context["macros"]] == ["催件"]
    assert (
        response.context["macros"][0]["text"]
        == f"{ticket.customer.name}您好，{ticket.number}由张三跟进"
    )


def test_phone_is_masked_and_reveal_is_logged(org, login, ticket):
    client = login(org.agent)
    page = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    number = ticket.customer.phones.get().number

    assert number not in page
    assert f"{number[:3]}****{number[-4:]}" in page

    revealed = client.post(
        reverse("tickets:customer_reveal", args=[ticket.customer.pk]), {"ticket": ticket.number}
    )

    assert number in revealed.content.decode()
    reveal = PhoneReveal.objects.get()
    assert (reveal.staff, reveal.customer, reveal.ticket) == (org.agent, ticket.customer, ticket)


def test_presence_shows_the_other_person_replying(org, login, client, ticket):
    url = reverse("tickets:presence", args=[ticket.number])
    login(org.agent2).post(url, {"state": "replying"})

    response = login(org.agent).post(url, {"state": "viewing"})

    assert "李四" in response.content.decode()
    assert "正在回复" in response.content.decode()


def test_new_ticket_for_a_caller(org, login):
    response = login(org.agent).post(
        reverse("tickets:create"),
        {
            "subject": "来电咨询发票",
            "type": "consultation",
            "channel": "phone",
            "priority": "P3",
            "team": org.presales1.pk,
            "customer_name": "王女士",
            "customer_phone": "+86 138 1234 5759",
            "claim": "on",
        },
    )

    ticket = Ticket.objects.get(subject="来电咨询发票")
    assert response.url == ticket.get_absolute_url()
    assert ticket.assignee == org.agent
    assert ticket.customer.phones.get().normalised == "13812345759"


def test_new_complaint_needs_its_reason(org, login):
    response = login(org.agent).post(
        reverse("tickets:create"),
        {
            "subject": "投诉",
            "type": "complaint",
            "channel": "phone",
            "priority": "P2",
            "team": org.presales1.pk,
            "customer_name": "李先生",
        },
    )

    assert response.status_code == 400
    assert "complaint_reason" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_bulk_assign_from_the_queue(org, login):
    first, second = TicketFactory(team=org.presales1), TicketFactory(team=org.complaints)

    response = login(org.manager).post(
        reverse("tickets:bulk_assign"),
        {"tickets": [first.number, second.number], "assignee": org.agent2.pk, "mode": "assign"},
        follow=True,
    )

    first.refresh_from_db()
    assert first.assignee == org.agent2
    texts = [str(m) for m in response.context["messages"]]
    assert any(first.number in text for text in texts)


@pytest.mark.parametrize("rows", [1, 30])
def test_queue_query_budget_is_fixed(org, login, django_assert_max_num_queries, rows):
    for _ in range(rows):
        TicketFactory(team=org.presales1)
    client = login(org.supervisor)

    with django_assert_max_num_queries(10):
        response = client.get(queue_url("team", page=1))
    assert len(response.context["tickets"]) == rows


def test_deep_pages_keep_the_order(org, login):
    created = [TicketFactory(team=org.presales1).number for _ in range(60)]
    client = login(org.supervisor)

    first = client.get(queue_url("team", sort="oldest"))
    second = client.get(queue_url("team", sort="oldest", page=2))

    shown = [t.number for t in first.context["tickets"]] + [
        t.number for t in second.context["tickets"]
    ]
    assert shown == created
    assert first.context["has_next"] is True
    assert second.context["has_next"] is False


@pytest.mark.parametrize("messages_count", [1, 20])
def test_ticket_page_query_budget_is_fixed(
    org, login, ticket, django_assert_max_num_queries, messages_count
):
    for index in range(messages_count):
        services.ticket_add_note(actor=org.supervisor, ticket=ticket, body=f"备注{index}")
    client = login(org.supervisor)

    with django_assert_max_num_queries(23):
        response = client.get(reverse("tickets:detail", args=[ticket.number]))
    assert response.status_code == 200
