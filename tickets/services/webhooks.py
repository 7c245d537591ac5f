"""Webhooks both ways, signed alike: ``X-CSManage-Timestamp: <unix seconds>`` and
``X-CSManage-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>``."""

import contextlib
import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
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
    # ASCII digits only ("١٢٣" and "1_000" are ints to Python), and few of them: a
    # 400-digit number is no time and overflows a float.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return "timestamp"
    if abs(time.time() - int(timestamp)) > settings.WEBHOOK_TOLERANCE_SECONDS:
        return "stale"
    if not signature.isascii() or not hmac.compare_digest(
        signature_for(secret, timestamp, body), signature
    ):
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


# ── Where we may send: no server-side request forgery ───────────────────────────────────

SCHEMES = ("http", "https")
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64).
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RefusedUrl(Exception):
    """A URL we will not send to; its message says why."""


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_internal(address: Address) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified or otherwise not
    reachable on the public internet — also when an IPv6 address wraps such an IPv4 one."""
    if not address.is_global or address.is_multicast or address.is_reserved:
        return True
    inner = _embedded_ipv4(address)
    return inner is not None and address_is_internal(inner)


def _host_addresses(host: bytes, port: int) -> list[Address]:
    """What the host resolves to now (an address literal is itself); ``socket.gaierror``
    when it resolves to nothing."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _parsed(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise RefusedUrl(gettext("This is not a valid URL.")) from None
    if parsed.scheme not in SCHEMES or not parsed.host:
        raise RefusedUrl(gettext("Webhooks are sent to http:// or https:// URLs only."))
    return parsed


def _refused_address(host: str, address: Address) -> str:
    if host == str(address):
        message = gettext(
            "%(address)s is a loopback, private, link-local, multicast, reserved or "
            "unspecified address: webhooks are not sent to internal hosts "
            "(WEBHOOK_ALLOW_PRIVATE_URLS)."
        )
    else:
        message = gettext(
            "%(host)s resolves to %(address)s, a loopback, private, link-local, multicast, "
            "reserved or unspecified address: webhooks are not sent to internal hosts "
            "(WEBHOOK_ALLOW_PRIVATE_URLS)."
        )
    return message % {"host": host, "address": address}


def _vetted_addresses(parsed: httpx.URL) -> list[Address]:
    """The addresses the URL's host resolves to, when we may send to all of them: else
    ``RefusedUrl``. (``socket.gaierror`` when it does not resolve.)"""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = _host_addresses(parsed.raw_host, port)  # bytes: already IDNA, no codec
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if address_is_internal(address):
                raise RefusedUrl(_refused_address(parsed.host, address))
    return addresses


def webhook_url_check(url: str) -> None:
    """Raise ``ValidationError`` (on ``url``) for a subscription URL we would refuse to
    send to: not http(s), or a host that is — or now resolves to — an internal address
    (unless ``WEBHOOK_ALLOW_PRIVATE_URLS``). A name that does not resolve yet passes: each
    delivery checks again after resolving it, since DNS can change."""
    try:
        parsed = _parsed(url)
        with contextlib.suppress(socket.gaierror):  # not (yet) in DNS: checked when sent
            _vetted_addresses(parsed)
    except RefusedUrl as refused:
        raise ValidationError({"url": str(refused)}) from None


# ── Sending ──────────────────────────────────────────────────────────────────────────────


def _lease() -> datetime.timedelta:
    """How long a claimed delivery is its worker's: longer than one POST can take (connect,
    write and read each have ``WEBHOOK_TIMEOUT_SECONDS``, plus name resolution). Past it,
    the sweep takes the delivery as lost and sends it again."""
    return datetime.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 4 + 60)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the delivery once: (response code, error) — the code is None when nothing was
    answered (a network error, or a URL we refuse to send to). The host is resolved and
    checked first, and the request goes to the address that was checked (a second lookup
    could answer otherwise). Redirects are answers, not followed."""
    try:
        parsed = _parsed(delivery.subscription.url)
        address = _vetted_addresses(parsed)[0]
    except RefusedUrl as refused:
        return None, gettext("Refused: %(reason)s") % {"reason": refused}
    except socket.gaierror as error:
        return None, f"ConnectError: {parsed.host}: {error}"
    body = delivery_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": parsed.netloc.decode("ascii"),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature_for(delivery.subscription.shop.webhook_secret, timestamp, body),
    }
    try:
        with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as client:
            response = client.post(
                parsed.copy_with(host=str(address)),
                content=body,
                headers=headers,
                follow_redirects=False,
                # TLS (SNI, the certificate's name) is about the name, not the address.
                extensions={"sni_hostname": parsed.raw_host.decode("ascii")},
            )
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return None, f"{type(error).__name__}: {error}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


def _claimed(delivery_id: int, now: datetime.datetime) -> WebhookDelivery | DeliveryAttempt:
    """Claim a due delivery for one attempt, in a short transaction: the attempt is counted
    and ``next_attempt_at`` set to the end of the lease, so no other worker (nor the sweep)
    takes it meanwhile, and no row stays locked while it is sent. Returns the claimed
    delivery, or what was done instead (skipped; dead)."""
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
        dead = None
        if not delivery.subscription.is_active:
            dead = gettext("The subscription is inactive.")
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            dead = gettext("The last attempt was interrupted before its outcome was recorded.")
        if dead is not None:
            delivery.status, delivery.next_attempt_at, delivery.last_error = Status.DEAD, None, dead
            delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
            return DeliveryAttempt(Outcome.DEAD)
        delivery.attempts += 1
        delivery.next_attempt_at = now + _lease()
        delivery.last_response_code = None
        delivery.last_error = gettext(
            "Attempt %(attempt)d started at %(moment)s: no outcome yet (still being sent, or "
            "the worker sending it stopped)."
        ) % {"attempt": delivery.attempts, "moment": _moment(now)}
        delivery.save(
            update_fields=["attempts", "next_attempt_at", "last_response_code", "last_error"]
        )
    return delivery


def webhook_deliver(delivery_id: int) -> DeliveryAttempt:
    """Try one delivery now: a delivery another worker has claimed, one already delivered
    or dead, and one not yet due are skipped (so running this twice sends once). The row
    is claimed in one short transaction, sent with no transaction open and no lock held,
    and its outcome written in a second short transaction — unless the claim was lost
    meanwhile (its lease ran out and another worker took it, or it was re-sent from the
    admin): then this attempt's outcome is dropped. A worker that dies mid-send leaves the
    delivery to the sweep once the lease is over.

    2xx → delivered; anything else (a refused URL too) → retried after
    ``WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1)`` (at most six hours), or dead after
    ``WEBHOOK_MAX_ATTEMPTS`` attempts."""
    claim = _claimed(delivery_id, timezone.now())
    if isinstance(claim, DeliveryAttempt):
        return claim
    delivery, lease_until = claim, claim.next_attempt_at
    code, error = _post(delivery)
    finished = timezone.now()
    retry_in = None
    outcome = {"last_response_code": code, "last_error": error[:300], "delivered_at": None}
    if not error:
        outcome.update(status=Status.DELIVERED, delivered_at=finished, next_attempt_at=None)
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        outcome.update(status=Status.DEAD, next_attempt_at=None)
    else:
        retry_in = _retry_delay(delivery.attempts)
        outcome.update(
            status=Status.RETRYING,
            next_attempt_at=finished + datetime.timedelta(seconds=retry_in),
        )
    with transaction.atomic():
        recorded = WebhookDelivery.objects.filter(
            pk=delivery.pk,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=lease_until,
        ).update(**outcome)
    if not recorded:
        logger.warning(
            "Webhook delivery %s was claimed again while attempt %s was sent; its outcome "
            "(%s) is dropped.",
            delivery.pk,
            delivery.attempts,
            code or error,
        )
        return DeliveryAttempt(Outcome.SKIPPED, code)
    return DeliveryAttempt(Outcome(outcome["status"]), code, retry_in)


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
    usually, but any delivery may be re-sent with its event id unchanged. One whose row is
    locked right now (being claimed, or its outcome written) is left alone; one in flight
    is sent again, and the outcome of the attempt in flight is dropped. Returns how many
    were queued."""
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
