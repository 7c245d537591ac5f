"""SLA clocks (Zendesk-like semantics, in working minutes on the policy's calendar).

- first response: starts when the ticket is opened, stops at the first public reply;
- next response: starts at the oldest unanswered customer message, stops at the next reply;
- resolution: starts when the ticket is opened, stops when it is resolved; reopening
  restarts it with the time already used kept;
- every running clock pauses while the ticket waits on the customer and resumes after;
- a change of priority or type re-matches the policy and recomputes due times, keeping the
  time used; a target the new policy lacks is dropped.

The lifecycle services call these inside their transactions; the ticket's stored due
times and SLA state follow from its clocks (``_store``).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.business_time import schedule_for
from tickets.models import SlaClock, SlaEvent, SlaPolicy, Ticket
from tickets.selectors import sla_policy_for
from tickets.services.notifications import notify_sla_alerts

Metric = SlaClock.Metric
State = Ticket.SlaState

TARGETS = {
    Metric.FIRST_RESPONSE: "first_response_minutes",
    Metric.NEXT_RESPONSE: "next_response_minutes",
    Metric.RESOLUTION: "resolution_minutes",
}
DUE_FIELDS = {
    Metric.FIRST_RESPONSE: "first_response_due",
    Metric.NEXT_RESPONSE: "next_response_due",
    Metric.RESOLUTION: "resolution_due",
}


def _run(clock: SlaClock, since: datetime.datetime) -> None:
    """Run from ``since``: due when the target is used up, at risk from ``SLA_WARN_RATIO``
    of it (both in working time)."""
    schedule = schedule_for(clock.calendar)
    clock.running_since = since
    clock.due_at = schedule.add(since, max(clock.target_minutes - clock.used_minutes, 0))
    warn = clock.target_minutes * settings.SLA_WARN_RATIO - clock.used_minutes
    clock.warn_at = schedule.add(since, max(warn, 0))
    clock.stopped_at = clock.met = None


def _halt(clock: SlaClock, at: datetime.datetime) -> None:
    """Bank the working time of the current run; the clock no longer runs."""
    if clock.running_since is not None:
        clock.used_minutes += schedule_for(clock.calendar).minutes_between(clock.running_since, at)
    clock.running_since = clock.due_at = clock.warn_at = None


def _event(clock: SlaClock, kind: str, at: datetime.datetime) -> SlaEvent:
    return SlaEvent(
        ticket_id=clock.ticket_id,
        metric=clock.metric,
        kind=kind,
        due_at=clock.due_at,
        created_at=at,
    )


def _clocks(ticket: Ticket) -> dict[str, SlaClock]:
    return {clock.metric: clock for clock in ticket.sla_clocks.select_related("calendar")}


def _store(ticket: Ticket, clocks: dict[str, SlaClock], now: datetime.datetime) -> None:
    """Copy the running clocks' due times to the ticket and work out its SLA state."""
    for metric, field in DUE_FIELDS.items():
        clock = clocks.get(metric)
        setattr(ticket, field, clock.due_at if clock is not None else None)
    if not clocks:
        state = State.NONE
    elif any(
        clock.met is False or (clock.due_at and clock.due_at <= now) for clock in clocks.values()
    ):
        state = State.BREACHED
    elif any(clock.is_running for clock in clocks.values()):
        state = State.OK
    elif ticket.status == Ticket.Status.PENDING_CUSTOMER:
        state = State.PAUSED
    else:
        state = State.MET
    ticket.sla_state = state
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_state=state, **{field: getattr(ticket, field) for field in DUE_FIELDS.values()}
    )


def _save(clocks: dict[str, SlaClock], events: list[SlaEvent]) -> None:
    for clock in clocks.values():
        clock.save()
    SlaEvent.objects.bulk_create(events)


def sla_start(ticket: Ticket, *, now: datetime.datetime | None = None) -> None:
    """A new ticket: start first-response and resolution clocks from when it was opened."""
    now = now or timezone.now()
    policy = sla_policy_for(ticket)
    clocks: dict[str, SlaClock] = {}
    if policy is not None:
        for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
            target = getattr(policy, TARGETS[metric])
            if target is None:
                continue
            clock = SlaClock(
                ticket=ticket,
                metric=metric,
                policy=policy,
                calendar=policy.calendar,
                target_minutes=target,
            )
            _run(clock, ticket.opened_at)
            clocks[metric] = clock
        SlaClock.objects.bulk_create(clocks.values())
        SlaEvent.objects.bulk_create(
            _event(clock, SlaEvent.Kind.STARTED, ticket.opened_at) for clock in clocks.values()
        )
    _store(ticket, clocks, now)


def _stop(clock: SlaClock | None, at: datetime.datetime, events: list[SlaEvent]) -> None:
    if clock is None or clock.stopped_at is not None:
        return
    was_due = clock.due_at
    _halt(clock, at)
    clock.stopped_at = at
    clock.met = clock.used_minutes <= clock.target_minutes if was_due is None else at <= was_due
    event = _event(clock, SlaEvent.Kind.MET if clock.met else SlaEvent.Kind.MISSED, at)
    event.due_at = was_due
    events.append(event)


def sla_public_reply(ticket: Ticket, *, at: datetime.datetime) -> None:
    """A public reply stops the first-response clock (once) and any next-response clock."""
    clocks, events = _clocks(ticket), []
    _stop(clocks.get(Metric.FIRST_RESPONSE), at, events)
    _stop(clocks.get(Metric.NEXT_RESPONSE), at, events)
    _save(clocks, events)
    _store(ticket, clocks, at)


def sla_customer_message(ticket: Ticket, *, at: datetime.datetime) -> None:
    """The customer wrote: a next-response clock starts unless one already runs (the oldest
    unanswered message keeps counting) or the first response is still awaited."""
    clocks, events = _clocks(ticket), []
    first = clocks.get(Metric.FIRST_RESPONSE)
    following = clocks.get(Metric.NEXT_RESPONSE)
    awaiting_first = first is not None and first.stopped_at is None
    if not awaiting_first and (following is None or following.stopped_at is not None):
        policy = sla_policy_for(ticket)
        target = policy.next_response_minutes if policy else None
        if target is not None:
            following = following or SlaClock(ticket=ticket, metric=Metric.NEXT_RESPONSE)
            following.policy, following.calendar = policy, policy.calendar
            following.target_minutes, following.used_minutes = target, 0
            if ticket.status == Ticket.Status.PENDING_CUSTOMER:
                following.running_since = following.due_at = None
            else:
                _run(following, at)
            following.stopped_at = following.met = None
            clocks[Metric.NEXT_RESPONSE] = following
            events.append(_event(following, SlaEvent.Kind.STARTED, at))
    _save(clocks, events)
    _store(ticket, clocks, at)


def sla_status_changed(ticket: Ticket, *, from_status: str, at: datetime.datetime) -> None:
    """Pause while waiting on the customer, resume after; resolving stops every clock;
    reopening restarts resolution with the time used kept."""
    clocks, events = _clocks(ticket), []
    waiting = Ticket.Status.PENDING_CUSTOMER
    if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        for clock in clocks.values():
            if clock.metric == Metric.RESOLUTION:
                _stop(clock, at, events)
            else:
                _halt_unfinished(clock, at)
    elif ticket.status == waiting:
        for clock in clocks.values():
            if clock.is_running:
                _halt(clock, at)
                events.append(_event(clock, SlaEvent.Kind.PAUSED, at))
    elif from_status in (waiting, Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        for clock in clocks.values():
            reopened = from_status != waiting and clock.metric == Metric.RESOLUTION
            if (clock.stopped_at is None and not clock.is_running) or reopened:
                _run(clock, at)
                events.append(_event(clock, SlaEvent.Kind.RESUMED, at))
    _save(clocks, events)
    _store(ticket, clocks, at)


def _halt_unfinished(clock: SlaClock, at: datetime.datetime) -> None:
    """Resolving ends a response clock without a verdict of its own."""
    if clock.stopped_at is None:
        _halt(clock, at)
        clock.stopped_at = at


def sla_rematch(
    ticket: Ticket, *, at: datetime.datetime | None = None, exclude: SlaPolicy | None = None
) -> None:
    """Priority, type or the policies changed: apply the policy that matches now (never
    ``exclude``), keeping time used; a target it lacks is dropped, warning and all."""
    at = at or timezone.now()
    policy: SlaPolicy | None = sla_policy_for(ticket, exclude=exclude)
    clocks = _clocks(ticket)
    for metric, clock in list(clocks.items()):
        target = getattr(policy, TARGETS[metric]) if policy is not None else None
        if target is None:
            clock.delete()
            del clocks[metric]
            continue
        running = clock.is_running
        if running:
            _halt(clock, at)  # on the old calendar
        clock.policy, clock.calendar, clock.target_minutes = policy, policy.calendar, target
        if running:
            _run(clock, at)
        clock.save()
    _store(ticket, clocks, at)


#: One statement per alert kind: insert the event for every running clock that has reached
#: its threshold, skipping runs already alerted (the partial unique index), and return only
#: the rows this statement inserted.
_ALERT_SQL = """
INSERT INTO tickets_slaevent (ticket_id, metric, kind, due_at, created_at)
SELECT clock.ticket_id, clock.metric, %(kind)s, clock.due_at, %(now)s
FROM tickets_slaclock AS clock
WHERE clock.running_since IS NOT NULL AND clock.{threshold} <= %(now)s {extra}
ON CONFLICT DO NOTHING
RETURNING id, ticket_id, metric
"""


def _escalate_breaches(ticket_ids: set[int]) -> None:
    """Breached tickets whose policy says so go one step up (once: only the sweep that
    recorded the breach sees it)."""
    from tickets.services.lifecycle import ticket_escalate

    escalating = SlaClock.objects.filter(
        ticket_id__in=ticket_ids, policy__escalate_on_breach=True, ticket__status__in=Ticket.IN_WORK
    ).values_list("ticket_id", flat=True)
    for ticket_id in sorted(set(escalating)):
        try:
            with transaction.atomic():
                ticket_escalate(actor=None, ticket=ticket_id, reason=_("SLA breached"))
        except ValidationError:
            continue  # already at the top, or nobody to escalate to


_MANAGER_SQL = """
INSERT INTO tickets_slaevent (ticket_id, metric, kind, due_at, created_at)
SELECT clock.ticket_id, clock.metric, 'manager', clock.due_at, %(now)s
FROM tickets_slaclock AS clock
WHERE clock.running_since IS NOT NULL AND clock.due_at <= %(since)s
ON CONFLICT DO NOTHING
RETURNING id, ticket_id, metric
"""


@transaction.atomic
def sla_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark tickets at risk (≥ ``SLA_WARN_RATIO`` of a target used) and breached (past due)
    with a few set-based statements, recording each warning and breach once per clock run.

    Safe to run twice or concurrently: the unique index lets exactly one sweep insert an
    alert, and only that sweep sees it returned — and notifies, in the same transaction.
    Returns how many alerts it recorded."""
    now = now or timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    counts = {}
    with connection.cursor() as cursor:
        for kind, threshold, extra, state, from_states in (
            (
                SlaEvent.Kind.WARNED,
                "warn_at",
                "AND clock.due_at > %(now)s",
                State.AT_RISK,
                [State.OK],
            ),
            (SlaEvent.Kind.BREACHED, "due_at", "", State.BREACHED, [State.OK, State.AT_RISK]),
        ):
            sql = _ALERT_SQL.format(threshold=threshold, extra=extra)
            cursor.execute(sql, {"kind": kind, "now": stamp})
            rows = cursor.fetchall()
            counts[kind] = len(rows)
            ticket_ids = {row[1] for row in rows}
            if kind == SlaEvent.Kind.BREACHED:
                _escalate_breaches(ticket_ids)
            notify_sla_alerts(
                [(event_id, ticket_id, metric, kind) for event_id, ticket_id, metric in rows]
            )
            Ticket.objects.filter(pk__in=ticket_ids, sla_state__in=from_states).update(
                sla_state=state
            )
        # Breaches still running after SLA_MANAGER_ALERT_MINUTES: the manager hears, once.
        cursor.execute(
            _MANAGER_SQL,
            {
                "now": stamp,
                "since": connection.ops.adapt_datetimefield_value(
                    now - datetime.timedelta(minutes=settings.SLA_MANAGER_ALERT_MINUTES)
                ),
            },
        )
        rows = cursor.fetchall()
        counts[SlaEvent.Kind.MANAGER_ALERTED] = len(rows)
        notify_sla_alerts(
            [
                (event_id, ticket_id, metric, SlaEvent.Kind.MANAGER_ALERTED)
                for event_id, ticket_id, metric in rows
            ]
        )
    return counts


def sla_policy_changed(*, policy: SlaPolicy, removed: bool = False) -> int:
    """A policy was edited, switched off or is being removed: every open ticket timed by it
    is matched again (``removed`` leaves it out), so targets it no longer sets — and their
    warnings — go away. Returns how many tickets were re-timed."""
    ticket_ids = set(
        SlaClock.objects.filter(policy=policy, ticket__status__in=Ticket.IN_WORK).values_list(
            "ticket_id", flat=True
        )
    )
    if removed:
        SlaClock.objects.filter(policy=policy).update(policy=None)
    for ticket in Ticket.objects.filter(pk__in=ticket_ids).select_related("customer"):
        sla_rematch(ticket, exclude=policy if removed else None)
    return len(ticket_ids)
