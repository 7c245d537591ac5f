"""Webhooks both ways, signed alike: ``X-CSManage-Timestamp: <unix seconds>`` and
``X-CSManage-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>``."""

import datetime
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from tickets.models import CustomerAccount, Ticket, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-CSManage-Timestamp"
SIGNATURE_HEADER = "X-CSManage-Signature"


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signature_problem(
    secret: str, timestamp: str | None, signature: str | None, body: bytes
) -> str | None:
    """Why a signed request must be refused, or None when it is good: the timestamp must be
    within ``WEBHOOK_TOLERANCE_SECONDS`` of now and the signature must match."""
    if not timestamp or not signature:
        return "missing"
    try:
        sent = int(timestamp)
    except ValueError:
        return "timestamp"
    if abs(time.time() - sent) > settings.WEBHOOK_TOLERANCE_SECONDS:
        return "stale"
    if not hmac.compare_digest(signature_for(secret, timestamp, body), signature):
        return "signature"
    return None


# ── Outbound ─────────────────────────────────────────────────────────────────────────────
#
# A delivery row is written with the change that causes it (the outbox); Celery sends it
# after commit and the every-minute sweep sends whatever a lost or failed enqueue left.

USER_AGENT = "CSManage-Webhooks/1"
EVENT_HEADER = "X-CSManage-Event"
DELIVERY_HEADER = "X-CSManage-Delivery"
#: The longest wait between two attempts of one delivery.
RETRY_CAP_SECONDS = 6 * 3600
SWEEP_BATCH = 50
Status = WebhookDelivery.Status
DUE_STATUSES = (Status.PENDING, Status.RETRYING)


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class DeliveryAttempt:
    """What ``webhook_deliver`` did: ``retry_in`` (seconds) is set when it will try again."""

    outcome: Outcome
    response_code: int | None = None
    retry_in: float | None = None


def _moment(value: datetime.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _ticket_snapshot(ticket: Ticket, buyer_id: str | None) -> dict:
    return {
        "number": ticket.number,
        "status": ticket.status,
        "type": ticket.type,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "subject": ticket.subject,
        "order_ref": ticket.order_ref,
        "customer": {"buyer_id": buyer_id},
        "first_response_due": _moment(ticket.first_response_due),
        "resolution_due": _moment(ticket.resolution_due),
        "sla_state": ticket.sla_state,
        "updated_at": _moment(ticket.updated_at),
    }


def webhooks_enqueue_many(
    ticket: Ticket, events: Iterable[tuple[str, dict | None]]
) -> list[WebhookDelivery]:
    """Deliveries of several events of one ticket (in order), for each active subscription
    of its shop that wants them, in the caller's transaction; sent after commit. A ticket
    of no shop costs nothing, one whose shop has no subscriptions one query."""
    events = [(event, data or {}) for event, data in events]
    if ticket.shop_id is None or not events:
        return []
    subscriptions = list(
        WebhookSubscription.objects.filter(shop_id=ticket.shop_id, is_active=True)
        .select_related("shop")
        .order_by("pk")
    )
    wanted = [
        (subscription, event, data)
        for event, data in events
        for subscription in subscriptions
        if not subscription.events or event in subscription.events
    ]
    if not wanted:
        return []
    buyer_id = (
        CustomerAccount.objects.filter(customer_id=ticket.customer_id, shop_id=ticket.shop_id)
        .values_list("buyer_id", flat=True)
        .first()
    )
    snapshot = _ticket_snapshot(ticket, buyer_id)
    occurred_at = _moment(timezone.now())
    rows = []
    for subscription, event, data in wanted:
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "type": event,
            "occurred_at": occurred_at,
            "shop": subscription.shop.code,
            "ticket": snapshot,
            "data": data,
        }
        rows.append(
            WebhookDelivery(
                subscription=subscription,
                event_id=event_id,
                event=event,
                ticket=ticket,
                payload=payload,
            )
        )
    deliveries = WebhookDelivery.objects.bulk_create(rows)
    if isinstance(deliveries, QuerySet):
        ids = list(deliveries.values_list("pk", flat=True))
    else:
        ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))
    return deliveries


def webhooks_enqueue(ticket: Ticket, event: str, data: dict | None = None) -> list[WebhookDelivery]:
    """One event of a ticket to its shop's subscriptions (see ``webhooks_enqueue_many``)."""
    return webhooks_enqueue_many(ticket, [(event, data)])


def _enqueue(ids: Iterable[int]) -> None:
    from tickets.tasks import webhook_deliver_task

    try:
        for delivery_id in ids:
            webhook_deliver_task.delay(delivery_id)
    except Exception:  # the sweep sends them once the broker is back
        logger.warning("Broker unavailable; webhook deliveries wait for the sweep.", exc_info=True)


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The bytes sent (and signed): compact UTF-8 JSON of the stored payload."""
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()


def _retry_delay(attempts: int) -> float:
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the delivery once: (response code, error) — the code is None on a network error.
    Redirects are answers, not followed."""
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_for(delivery.subscription.shop.webhook_secret, timestamp, body),
    }
    try:
        response = httpx.post(
            delivery.subscription.url,
            content=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return None, f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def webhook_deliver(delivery_id: int) -> DeliveryAttempt:
    """Try one delivery now, holding its row lock while it is sent: a delivery another
    worker is sending, one already delivered or dead, and one not yet due are skipped (so
    running this twice sends once). 2xx → delivered; anything else → retried after
    ``WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1)`` (at most six hours), or dead after
    ``WEBHOOK_MAX_ATTEMPTS`` attempts."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription__shop")
            .filter(pk=delivery_id)
            .first()
        )
        if (
            delivery is None
            or delivery.status not in DUE_STATUSES
            or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now)
        ):
            return DeliveryAttempt(Outcome.SKIPPED)
        if not delivery.subscription.is_active:
            delivery.status, delivery.next_attempt_at = Status.DEAD, None
            delivery.last_error = gettext("The subscription is inactive.")
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return DeliveryAttempt(Outcome.DEAD)
        code, error = _post(delivery)
        finished = timezone.now()
        delivery.attempts += 1
        delivery.last_response_code = code
        delivery.last_error = error[:300]
        retry_in = None
        if not error:
            delivery.status, delivery.delivered_at = Status.DELIVERED, finished
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = Status.DEAD, None
        else:
            retry_in = _retry_delay(delivery.attempts)
            delivery.status = Status.RETRYING
            delivery.next_attempt_at = finished + datetime.timedelta(seconds=retry_in)
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_response_code",
                "last_error",
                "delivered_at",
            ]
        )
    return DeliveryAttempt(Outcome(delivery.status), code, retry_in)


def webhooks_sweep(*, batch: int = SWEEP_BATCH) -> dict[str, int]:
    """Send the deliveries that are due (pending, or retrying with their time come), the
    oldest first, a batch at a time: what a lost enqueue or a failed attempt left. Returns
    how many ended each way."""
    now = timezone.now()
    due = (
        WebhookDelivery.objects.filter(status__in=DUE_STATUSES)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    counts = dict.fromkeys(Outcome, 0)
    for delivery_id in list(due):
        counts[webhook_deliver(delivery_id).outcome] += 1
    return {str(outcome): count for outcome, count in counts.items()}


@transaction.atomic
def webhook_resend(deliveries: Iterable[WebhookDelivery] | QuerySet[WebhookDelivery]) -> int:
    """Send deliveries again from the start (attempts reset), after commit — dead letters
    usually, but any delivery may be re-sent with its event id unchanged. One being sent
    right now is left alone. Returns how many were queued."""
    if isinstance(deliveries, QuerySet):
        ids = list(deliveries.values_list("pk", flat=True))
    else:
        ids = [delivery.pk for delivery in deliveries]
    locked = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=locked).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, delivered_at=None
    )
    if locked:
        transaction.on_commit(lambda: _enqueue(locked))
    return len(locked)
