"""The SLA sweep: set-based, each warning and breach recorded once — run twice, run
concurrently by a real Celery worker, and re-run after a crash."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from tests.tickets.factories import TicketFactory
from tickets.models import Notification, SlaEvent, Ticket
from tickets.services import sla
from tickets.tasks import sla_sweep_task

pytestmark = pytest.mark.usefixtures("seeded_policies")


def minutes_ago(minutes: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


def chat_ticket(org, opened_minutes_ago: float) -> Ticket:
    """Online chat: 1 minute first response, 2,880 resolution, around the clock."""
    return TicketFactory(
        team=org.presales1,
        type="presales",
        channel="chat",
        opened_at=minutes_ago(opened_minutes_ago),
    )


def alerts() -> list[tuple]:
    return sorted(
        SlaEvent.objects.filter(kind__in=["warned", "breached"]).values_list(
            "ticket_id", "metric", "kind"
        )
    )


def test_sweep_marks_breached_and_at_risk_once(org):
    late = chat_ticket(org, 5)  # first response (1 min) overdue
    risky = chat_ticket(org, 0.9)  # 90 % of the minute used
    fresh = chat_ticket(org, 0)
    for ticket in (late, risky, fresh):
        Ticket.objects.filter(pk=ticket.pk).update(sla_state="ok")

    first = sla.sla_sweep()
    second = sla.sla_sweep()

    assert first == {"warned": 1, "breached": 1, "manager": 0}
    assert second == {"warned": 0, "breached": 0, "manager": 0}
    assert alerts() == sorted(
        [(late.pk, "first_response", "breached"), (risky.pk, "first_response", "warned")]
    )
    states = dict(Ticket.objects.values_list("pk", "sla_state"))
    assert (states[late.pk], states[risky.pk], states[fresh.pk]) == ("breached", "at_risk", "ok")


def test_paused_and_stopped_clocks_are_not_alerted(org):
    paused = chat_ticket(org, 5)
    paused.status = Ticket.Status.PENDING_CUSTOMER
    sla.sla_status_changed(paused, from_status="open", at=minutes_ago(4.5))

    assert sla.sla_sweep() == {"warned": 0, "breached": 0, "manager": 0}


def test_a_crashed_sweep_leaves_nothing_and_the_rerun_records_once(org):
    chat_ticket(org, 5)

    @transaction.atomic
    def sweep_then_die() -> None:
        sla.sla_sweep()
        raise RuntimeError("worker killed before commit")

    with pytest.raises(RuntimeError):
        sweep_then_die()

    assert alerts() == []
    assert sla.sla_sweep() == {"warned": 0, "breached": 1, "manager": 0}
    assert sla.sla_sweep() == {"warned": 0, "breached": 0, "manager": 0}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_on_a_real_worker_record_each_breach_once(org, worker, seeded_policies):
    tickets = [chat_ticket(org, 5) for _ in range(20)]

    results = [sla_sweep_task.apply_async(queue=worker) for _ in range(2)]
    outcomes = [result.get(timeout=90) for result in results]

    assert sum(outcome["breached"] for outcome in outcomes) == 20
    assert len(alerts()) == 20
    assert {pk for pk, _metric, _kind in alerts()} == {ticket.pk for ticket in tickets}
    # one notification per breach, to the group's supervisor (nobody had claimed them)
    assert Notification.objects.filter(kind="sla_breached", recipient=org.supervisor).count() == 20
    assert Notification.objects.count() == 20


def test_a_breached_complaint_is_escalated_once_and_chat_is_not(org):
    complaint = TicketFactory(
        team=org.presales1,
        type="complaint",
        channel="phone",
        opened_at=timezone.now() - datetime.timedelta(days=10),
    )
    chat = chat_ticket(org, 5)

    sla.sla_sweep()
    sla.sla_sweep()

    complaint.refresh_from_db()
    chat.refresh_from_db()
    assert (complaint.escalation_level, complaint.escalated_to) == (1, org.supervisor)
    assert complaint.events.filter(kind="escalated", actor__isnull=True).count() == 1
    assert chat.escalation_level == 0
