"""SLA clocks on tickets: start, stop at the first reply, next response, pause while waiting
on the customer, resolve, reopen keeping time used, re-match on a priority change."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.tickets.factories import CategoryFactory, TicketFactory
from tickets import services
from tickets.models import SlaClock, Ticket
from tickets.services import sla

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.usefixtures("seeded_policies")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def clock(ticket: Ticket, metric: str) -> SlaClock:
    return ticket.sla_clocks.get(metric=metric)


def test_complaint_over_national_day_gets_its_due_times(org):
    ticket = TicketFactory(team=org.complaints, type="complaint", opened_at=at("2026-09-30 17:30"))

    ticket.refresh_from_db()
    assert ticket.first_response_due == at("2026-10-08 09:30")
    assert ticket.resolution_due == at("2026-10-10 17:30")  # 10 October is a worked Saturday
    assert ticket.next_response_due is None


def test_online_chat_gets_one_minute_around_the_clock(org):
    ticket = TicketFactory(
        team=org.presales1, type="presales", channel="chat", opened_at=at("2026-10-01 23:59")
    )

    ticket.refresh_from_db()
    assert ticket.first_response_due == at("2026-10-02 00:00")


def test_first_public_reply_stops_the_first_response_clock(org):
    ticket = TicketFactory(team=org.presales1, type="consultation", channel="email")
    services.ticket_claim(actor=org.agent, ticket=ticket)
    services.ticket_add_note(actor=org.agent, ticket=ticket, body="内部讨论")
    assert clock(ticket, "first_response").stopped_at is None  # a note is not a response

    services.ticket_reply(actor=org.agent, ticket=ticket, body="您好")

    ticket.refresh_from_db()
    first = clock(ticket, "first_response")
    assert first.met is True
    assert first.stopped_at == ticket.first_response_at
    assert ticket.first_response_due is None
    assert ticket.resolution_due is not None


def test_next_response_clock_starts_at_the_oldest_unanswered_message(org):
    ticket = TicketFactory(team=org.presales1, type="presales", channel="chat")
    services.ticket_claim(actor=org.agent, ticket=ticket)
    services.ticket_reply(actor=org.agent, ticket=ticket, body="您好")

    first_message = services.ticket_customer_message(ticket=ticket, body="在吗？")
    services.ticket_customer_message(ticket=ticket, body="人呢？")

    ticket.refresh_from_db()
    assert ticket.next_response_due == first_message.created_at + datetime.timedelta(minutes=3)

    services.ticket_reply(actor=org.agent, ticket=ticket, body="抱歉久等")
    ticket.refresh_from_db()
    assert ticket.next_response_due is None
    assert clock(ticket, "next_response").met is True


def test_waiting_on_the_customer_pauses_and_resuming_keeps_time_used(org):
    ticket = TicketFactory(
        team=org.presales1, type="presales", channel="chat", opened_at=at("2026-11-18 10:00")
    )
    ticket.status = Ticket.Status.PENDING_CUSTOMER
    sla.sla_status_changed(ticket, from_status="open", at=at("2026-11-18 10:10"))

    ticket.refresh_from_db()
    assert (ticket.resolution_due, ticket.sla_state) == (None, "paused")
    assert clock(ticket, "resolution").used_minutes == 10

    ticket.status = Ticket.Status.OPEN
    sla.sla_status_changed(ticket, from_status="pending_customer", at=at("2026-11-18 11:10"))

    ticket.refresh_from_db()
    assert ticket.resolution_due == at("2026-11-18 10:00") + datetime.timedelta(minutes=2880 + 60)


def test_resolving_stops_every_clock_and_reopening_keeps_the_time_used(org):
    ticket = TicketFactory(
        team=org.presales1, type="presales", channel="chat", opened_at=at("2026-11-18 10:00")
    )
    ticket.status = Ticket.Status.RESOLVED
    sla.sla_status_changed(ticket, from_status="open", at=at("2026-11-18 12:00"))
    ticket.refresh_from_db()
    resolution = clock(ticket, "resolution")
    assert (resolution.met, resolution.used_minutes) == (True, 120)
    assert (ticket.resolution_due, ticket.first_response_due, ticket.sla_state) == (
        None,
        None,
        "met",
    )

    ticket.status = Ticket.Status.OPEN
    sla.sla_status_changed(ticket, from_status="resolved", at=at("2026-11-19 09:00"))

    ticket.refresh_from_db()
    assert ticket.resolution_due == at("2026-11-19 09:00") + datetime.timedelta(minutes=2880 - 120)
    assert clock(ticket, "first_response").stopped_at is not None  # stays stopped


def test_priority_change_rematches_the_policy_and_keeps_time_used(org):
    ticket = TicketFactory(team=org.presales1, type="aftersales", channel="email", priority="P3")
    services.ticket_claim(actor=org.agent, ticket=ticket)
    assert clock(ticket, "resolution").target_minutes == 2700

    services.ticket_update(actor=org.agent, ticket=ticket, priority="P1")

    resolution = clock(ticket, "resolution")
    assert (resolution.policy.name, resolution.target_minutes) == ("紧急工单", 540)
    ticket.refresh_from_db()
    assert ticket.resolution_due == resolution.due_at


def test_resolved_through_the_service_is_met(org):
    ticket = TicketFactory(team=org.presales1, type="presales", channel="email")
    services.ticket_claim(actor=org.agent, ticket=ticket)
    services.ticket_reply(actor=org.agent, ticket=ticket, body="您好")

    services.ticket_resolve(
        actor=org.agent, ticket=ticket, resolution_summary="已解答", category=CategoryFactory()
    )

    ticket.refresh_from_db()
    assert ticket.sla_state == "met"
    assert set(ticket.sla_clocks.values_list("metric", "met")) == {
        ("first_response", True),
        ("resolution", True),
    }


def test_a_late_first_reply_is_breached(org):
    ticket = TicketFactory(
        team=org.presales1, type="presales", channel="chat", opened_at=at("2026-11-01 10:00")
    )
    services.ticket_claim(actor=org.agent, ticket=ticket)

    services.ticket_reply(actor=org.agent, ticket=ticket, body="抱歉久等")

    ticket.refresh_from_db()
    assert clock(ticket, "first_response").met is False
    assert ticket.sla_state == "breached"


def test_queue_sorts_by_due_and_filters_breached(org, login):
    from django.urls import reverse

    late = TicketFactory(
        team=org.presales1, type="presales", channel="chat", opened_at=at("2026-11-01 10:00")
    )
    soon = TicketFactory(team=org.presales1, type="complaint", channel="phone")
    later = TicketFactory(team=org.presales1, type="suggestion", channel="email", priority="P4")
    client = login(org.supervisor)
    url = reverse("tickets:queue", args=["team"])

    by_due = client.get(url, {"sort": "due"}).context["tickets"]
    breached = client.get(url, {"sla": "breached"}).context["tickets"]

    assert [ticket.number for ticket in by_due] == [late.number, soon.number, later.number]
    assert [ticket.number for ticket in breached] == [late.number]
    assert by_due[0].overdue is True


def test_sla_events_are_recorded_and_shown(org, login):
    from django.urls import reverse

    ticket = TicketFactory(team=org.presales1, type="presales", channel="email")
    services.ticket_claim(actor=org.agent, ticket=ticket)
    services.ticket_reply(
        actor=org.agent, ticket=ticket, body="您好", then_status="pending_customer"
    )
    services.ticket_customer_message(ticket=ticket, body="好的")

    kinds = list(ticket.sla_events.values_list("metric", "kind"))
    assert kinds == [
        ("first_response", "started"),
        ("resolution", "started"),
        ("first_response", "met"),
        ("resolution", "paused"),
        ("resolution", "resumed"),
        ("next_response", "started"),
    ]
    page = login(org.agent).get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert 'class="countdown" data-due=' in page


def test_removing_a_policy_retimes_its_tickets_and_clears_their_warnings(
    org, login, seeded_policies
):
    from django.urls import reverse

    ticket = TicketFactory(team=org.presales1, type="complaint", channel="phone")
    Ticket.objects.filter(pk=ticket.pk).update(sla_state="at_risk")
    complaints = seeded_policies["投诉处理"]

    response = login(org.director).post(
        reverse("admin:tickets_slapolicy_delete", args=[complaints.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    resolution = clock(ticket, "resolution")
    assert (resolution.policy.name, resolution.target_minutes) == ("默认", 2700)
    assert ticket.sla_state == "ok"


def test_switching_a_policy_off_retimes_its_tickets(org, seeded_policies):
    ticket = TicketFactory(team=org.presales1, type="complaint", channel="phone")
    complaints = seeded_policies["投诉处理"]
    complaints.is_active = False
    complaints.save()

    sla.sla_policy_changed(policy=complaints)

    assert clock(ticket, "first_response").target_minutes == 240
