"""回访: resolving schedules a callback for the next working day; reminders go out once;
satisfied closes, not satisfied reopens, unanswered tries end in closing."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.tickets.factories import CategoryFactory, TicketFactory
from tickets import services
from tickets.models import Callback, Notification, Ticket
from tickets.services.callbacks import callback_record, callbacks_remind, next_working_start

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.usefixtures("seeded_policies")


@pytest.fixture
def resolved(org):
    ticket = TicketFactory(team=org.presales1)
    services.ticket_claim(actor=org.agent, ticket=ticket)
    services.ticket_reply(actor=org.agent, ticket=ticket, body="您好")
    services.ticket_resolve(
        actor=org.agent, ticket=ticket, resolution_summary="已处理", category=CategoryFactory()
    )
    return ticket


def test_next_working_day_follows_the_statutory_calendar():
    assert next_working_start(
        datetime.datetime(2026, 9, 30, 17, 30, tzinfo=SHANGHAI)
    ) == datetime.datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    assert next_working_start(
        datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    ) == datetime.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def test_resolving_schedules_one_callback_for_the_assignee(resolved, org):
    callback = resolved.callbacks.get()

    assert (callback.assignee, callback.status) == (org.agent, Callback.Status.SCHEDULED)
    assert callback.due_at > timezone.now()


def test_satisfied_customer_closes_the_ticket(resolved, org):
    callback_record(actor=org.agent, callback=resolved.callbacks.get(), outcome="satisfied")

    resolved.refresh_from_db()
    assert resolved.status == Ticket.Status.CLOSED
    assert resolved.callbacks.get().status == Callback.Status.DONE


def test_unsatisfied_customer_reopens_the_ticket(resolved, org):
    callback_record(
        actor=org.agent,
        callback=resolved.callbacks.get(),
        outcome="unsatisfied",
        notes="还没收到退款",
    )

    resolved.refresh_from_db()
    assert (resolved.status, resolved.reopen_count) == (Ticket.Status.OPEN, 1)
    assert not resolved.callbacks.filter(status=Callback.Status.SCHEDULED).exists()


def test_unanswered_tries_close_the_ticket_after_the_last(resolved, org, settings):
    settings.CALLBACK_MAX_ATTEMPTS = 2
    callback = resolved.callbacks.get()

    callback_record(actor=org.agent, callback=callback, outcome="not_reached")
    resolved.refresh_from_db()
    assert resolved.status == Ticket.Status.RESOLVED
    callback_record(actor=org.agent, callback=callback, outcome="not_reached")

    resolved.refresh_from_db()
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == (Callback.Status.UNREACHED, 2)
    assert resolved.status == Ticket.Status.CLOSED


def test_another_agent_cannot_record_the_call(resolved, org):
    from tickets.permissions import TicketNotAllowed

    with pytest.raises(TicketNotAllowed):
        callback_record(actor=org.agent2, callback=resolved.callbacks.get(), outcome="satisfied")

    assert resolved.callbacks.get().attempts == 0


def test_reminders_go_out_once_to_the_agent_then_the_supervisor(resolved, org, settings):
    callback = resolved.callbacks.get()
    Callback.objects.filter(pk=callback.pk).update(
        due_at=timezone.now() - datetime.timedelta(hours=5)
    )

    first = callbacks_remind()
    second = callbacks_remind()

    assert first == {"callback_due": 1, "callback_overdue": 1}
    assert second == {"callback_due": 0, "callback_overdue": 0}
    assert sorted(Notification.objects.values_list("recipient__name", "kind")) == [
        ("张三", "callback_due"),
        ("李主管", "callback_overdue"),
    ]


def test_callback_page_records_a_call(resolved, org, login):
    client = login(org.agent)
    callback = resolved.callbacks.get()

    page = client.get(reverse("tickets:callbacks"))
    response = client.post(
        reverse("tickets:callback_record", args=[callback.pk]), {"outcome": "satisfied"}
    )

    assert resolved.number in page.content.decode()
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == Ticket.Status.CLOSED
    assert (
        login(org.agent_b)
        .post(reverse("tickets:callback_record", args=[callback.pk]), {"outcome": "satisfied"})
        .status_code
        == 404
    )


def test_without_the_default_calendar_the_callback_is_at_nine_next_day(org):
    from tickets.models import BusinessCalendar, SlaPolicy

    SlaPolicy.objects.all().delete()
    BusinessCalendar.objects.filter(name="标准工作时间").delete()

    assert next_working_start(
        datetime.datetime(2026, 9, 30, 17, 30, tzinfo=SHANGHAI)
    ) == datetime.datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)
