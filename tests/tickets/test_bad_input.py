"""The queue UI given what no form of its own sends: refused with a message, nothing
written, nobody out of scope named, never a 500 and never a redirect off the site."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.tickets.factories import TicketFactory
from tickets.models import Notification, Ticket, TicketEvent
from tickets.services.notifications import notify


@pytest.fixture
def ticket(org):
    return TicketFactory(team=org.presales1, subject="快递三天没有更新")


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("next_url", ["//evil.example.com/", "https://evil.example.com/"])
def test_bulk_assign_goes_back_only_to_a_page_of_the_site(org, login, ticket, next_url):
    response = login(org.supervisor).post(
        reverse("tickets:bulk_assign"),
        {"tickets": [ticket.number], "assignee": org.agent.pk, "next": next_url},
    )

    assert response.status_code == 302
    assert response.url == reverse("tickets:index")


def test_bulk_assign_to_someone_out_of_scope_does_not_name_them(org, login, ticket):
    response = login(org.supervisor).post(
        reverse("tickets:bulk_assign"), {"tickets": [ticket.number], "assignee": org.agent_b.pk}
    )

    assert flashed(response) == ["请选择工单的分派对象。"]
    ticket.refresh_from_db()
    assert ticket.assignee is None


@pytest.mark.parametrize("action", ["escalate", "close", "reopen"])
def test_a_reason_longer_than_the_page_allows_is_refused_and_nothing_written(
    org, login, ticket, action
):
    response = login(org.supervisor).post(
        reverse("tickets:action", args=[ticket.number, action]), {"reason": "长" * 501}
    )

    assert response.status_code == 302
    assert flashed(response) == ["确保该变量包含不超过 500 字符 (目前字符数 501)。"]
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 0
    assert not TicketEvent.objects.filter(ticket=ticket).exclude(kind="created").exists()


def test_mark_read_with_ids_that_are_no_number_marks_nothing(org, login):
    notify(recipients=[org.agent], kind=Notification.Kind.CALLBACK_DUE, text="请回访")

    response = login(org.agent).post(
        reverse("tickets:notifications_read"), {"id": ["abc", "²", "99999999999999999999"]}
    )

    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    "url",
    [
        reverse("tickets:queue", args=["team"]) + "?page=99999999999999999999",
        reverse("tickets:customers") + "?page=99999999999999999999",
        reverse("tickets:create") + "?customer=²",
        reverse("tickets:create") + "?customer=99999999999999999999",
    ],
)
def test_page_and_key_parameters_that_are_no_usable_number_are_ignored(org, login, url):
    response = login(org.supervisor).get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("parameter", ["team", "assignee"])
def test_ticket_admin_filter_that_is_no_key_reloads_the_list_unfiltered(org, login, parameter):
    url = reverse("admin:tickets_ticket_changelist")

    response = login(org.supervisor).get(url, {parameter: "²"})

    assert response.status_code == 302
    assert response.url == f"{url}?e=1"
