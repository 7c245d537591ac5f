"""Notifications from SLA alerts: once per alert and person, the bell, email preferences,
and the outbox that survives a broker outage."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.models import Notification, Ticket
from tickets.services import notifications, sla
from tickets.tasks import notifications_email_task

pytestmark = pytest.mark.usefixtures("seeded_policies")


def overdue_chat(org, *, assignee=None) -> Ticket:
    ticket = TicketFactory(
        team=org.presales1,
        type="presales",
        channel="chat",
        opened_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    if assignee is not None:
        services.ticket_claim(actor=assignee, ticket=ticket)
    return ticket


def test_a_breach_notifies_the_supervisor_and_the_assignee_once(org):
    ticket = overdue_chat(org, assignee=org.agent)

    sla.sla_sweep()
    sla.sla_sweep()

    rows = sorted(Notification.objects.values_list("recipient__name", "kind", "ticket_id"))
    assert rows == [("张三", "sla_breached", ticket.pk), ("李主管", "sla_breached", ticket.pk)]


def test_an_unassigned_ticket_at_risk_goes_to_the_supervisor(org):
    TicketFactory(
        team=org.presales1,
        type="presales",
        channel="chat",
        opened_at=timezone.now() - datetime.timedelta(seconds=54),
    )

    sla.sla_sweep()

    assert list(Notification.objects.values_list("recipient__name", "kind")) == [
        ("李主管", "sla_warned")
    ]


def test_breaches_are_emailed_by_default_and_preferences_are_kept(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    org.supervisor.user.email = "lizhuguan@example.cn"
    org.supervisor.user.save()
    org.agent.user.email = "zhangsan@example.cn"
    org.agent.user.save()
    notifications.notification_preference_set(staff=org.agent, email_kinds=[])
    overdue_chat(org, assignee=org.agent)

    with django_capture_on_commit_callbacks(execute=False):
        sla.sla_sweep()
    sent = notifications.notifications_email_pending()

    assert sent == 1
    assert [message.to for message in mailoutbox] == [["lizhuguan@example.cn"]]
    assert "breached" in mailoutbox[0].subject or "超时" in mailoutbox[0].subject
    assert notifications.notifications_email_pending() == 0


def test_an_email_the_broker_never_got_waits_in_the_outbox(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    """The notification row is written with the alert; if the enqueue after commit never
    reaches a worker, the every-minute outbox task still sends it."""
    org.supervisor.user.email = "lizhuguan@example.cn"
    org.supervisor.user.save()
    overdue_chat(org)

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        sla.sla_sweep()

    assert len(enqueued) == 1
    assert Notification.objects.filter(email_wanted=True, emailed_at__isnull=True).count() == 1
    assert notifications_email_task.apply().get() == 1
    assert [message.to for message in mailoutbox] == [["lizhuguan@example.cn"]]


def test_bell_counts_unread_and_mark_read(org, login):
    overdue_chat(org, assignee=org.agent)
    sla.sla_sweep()
    client = login(org.agent)

    assert 'bell-count">1<' in client.get(reverse("tickets:bell")).content.decode()

    client.post(reverse("tickets:notifications_read"))

    assert "bell-count" not in client.get(reverse("tickets:bell")).content.decode()
    page = client.get(reverse("tickets:notifications"))
    assert page.status_code == 200
    assert len(page.context["notifications"]) == 1


def test_a_breach_left_for_an_hour_reaches_the_manager_once(org, settings):
    settings.SLA_MANAGER_ALERT_MINUTES = 60
    old = TicketFactory(
        team=org.presales1,
        type="presales",
        channel="chat",
        opened_at=timezone.now() - datetime.timedelta(minutes=90),
    )
    overdue_chat(org)  # breached five minutes ago: not yet for the manager

    first = sla.sla_sweep()
    second = sla.sla_sweep()

    assert (first["manager"], second["manager"]) == (1, 0)
    to_manager = Notification.objects.filter(kind="sla_breach_old")
    assert list(to_manager.values_list("recipient__name", "ticket_id")) == [("王经理", old.pk)]
