"""What shops do through the API: keys, tickets they open and follow, ratings, and the
platform events they push (mapped to tickets as documented in ``INBOUND_MAPPING``)."""

import datetime
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from staff.models import Staff, Team
from tickets.models import (
    ApiKey,
    Customer,
    IdempotencyRecord,
    InboundEvent,
    Shop,
    Tag,
    Ticket,
)
from tickets.models.core import webhook_secret_new
from tickets.services.customers import customer_upsert_for_account
from tickets.services.lifecycle import (
    ticket_close,
    ticket_create,
    ticket_customer_message,
    ticket_platform_note,
    ticket_update,
)

KEY_PREFIX = "csk_"
#: A key's last-used time is written at most this often (not on every request).
LAST_USED_EVERY = datetime.timedelta(minutes=1)
Status = Ticket.Status
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_create(
    *,
    name: str,
    scopes: Iterable[str],
    shop: Shop | None = None,
    staff: Staff | None = None,
    created_by=None,
) -> tuple[ApiKey, str]:
    """A new key for a shop or a staff member; returns it and the secret, which is not
    stored (only its SHA-256) and so can be shown this once."""
    scopes = sorted(set(scopes))
    errors = {}
    if unknown := [scope for scope in scopes if scope not in ApiKey.Scope.values]:
        errors["scopes"] = _("Unknown scopes: %(scopes)s. Known: %(known)s.") % {
            "scopes": ", ".join(unknown),
            "known": ", ".join(ApiKey.Scope.values),
        }
    if (shop is None) == (staff is None):
        errors["shop"] = _("A key belongs to a shop or to a staff member (one of them).")
    if errors:
        raise ValidationError(errors)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=(name or "").strip() or (shop.code if shop else staff.name),
        shop=shop,
        staff=staff,
        prefix=raw[:12],
        hashed=_digest(raw),
        scopes=scopes,
        created_by=created_by,
    )
    return key, raw


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The live key for a bearer secret (its shop active, its staff member still here), or
    None. Notes when it was last used, at most once a minute."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key = (
        ApiKey.objects.select_related("shop", "staff__user")
        .filter(hashed=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if key is None:
        return None
    if key.shop_id is not None and not key.shop.is_active:
        return None
    if key.staff_id is not None and (
        not key.staff.user.is_active or key.staff.status == Staff.Status.LEFT
    ):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def idempotency_records_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget first responses older than ``IDEMPOTENCY_KEEP_HOURS`` (a client retrying
    later than that is sending a new request). Returns how many were removed."""
    before = (now or timezone.now()) - datetime.timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    removed, _by_model = IdempotencyRecord.objects.filter(created_at__lt=before).delete()
    return removed


def shop_ensure(*, code: str, name: str = "", platform: str = Shop.Platform.OWN_SITE) -> Shop:
    """The shop with this code, created if it is new."""
    shop = Shop(code=code, name=name or code, platform=platform)
    shop.full_clean(validate_unique=False)
    shop, _created = Shop.objects.get_or_create(
        code=code, defaults={"name": name or code, "platform": platform}
    )
    return shop


def shop_webhook_secret_rotate(*, shop: Shop) -> str:
    shop.webhook_secret = webhook_secret_new()
    shop.save(update_fields=["webhook_secret"])
    return shop.webhook_secret


def shop_queue_for(shop: Shop, ticket_type: str) -> Team:
    """Where a shop's ticket is queued: complaints to the shop's complaint queue if it has
    one, else the shop's queue, else the first group (by name) so nothing is lost."""
    if ticket_type == Ticket.Type.COMPLAINT and shop.complaint_team_id:
        return shop.complaint_team
    if shop.default_team_id:
        return shop.default_team
    team = Team.objects.filter(kind=Team.Kind.GROUP).order_by("name", "pk").first()
    if team is None:
        raise ValidationError(
            {"shop": _("No group exists to queue the ticket for: set up the organisation.")}
        )
    return team


def _customer_for(shop: Shop, buyer: dict) -> Customer:
    """Upsert by (shop, buyer id); two requests racing for a new buyer make one customer."""
    values = {
        "shop": shop,
        "buyer_id": buyer.get("buyer_id", ""),
        "name": buyer.get("name") or "",
        "phone": buyer.get("phone") or "",
    }
    try:
        with transaction.atomic():
            return customer_upsert_for_account(**values)
    except IntegrityError:
        return customer_upsert_for_account(**values)


def _tags_named(names: Iterable[str]) -> list[Tag]:
    names = sorted({name.strip() for name in names if name.strip()})
    tags = list(Tag.objects.filter(name__in=names))
    if missing := set(names) - {tag.name for tag in tags}:
        raise ValidationError(
            {"tags": _("Unknown tags: %(tags)s.") % {"tags": ", ".join(sorted(missing))}}
        )
    return tags


@transaction.atomic
def shop_ticket_open(
    *,
    shop: Shop,
    customer: dict,
    subject: str,
    type: str,
    channel: str = Ticket.Channel.API,
    priority: str = Ticket.Priority.P3,
    description: str = "",
    order_ref: str = "",
    opened_at: datetime.datetime | None = None,
    tags: Iterable[str] = (),
) -> Ticket:
    """A ticket a shop opens for one of its buyers (upserted by buyer id), queued per
    ``shop_queue_for``; its SLA clocks start at ``opened_at``."""
    tag_list = _tags_named(tags)
    return ticket_create(
        actor=None,
        subject=subject,
        description=description,
        type=type,
        channel=channel,
        priority=priority,
        team=shop_queue_for(shop, type),
        customer=_customer_for(shop, customer),
        shop=shop,
        order_ref=order_ref,
        opened_at=opened_at,
        tags=tag_list,
    )


@transaction.atomic
def shop_ticket_change(
    *,
    ticket: Ticket,
    priority: str | None = None,
    tags: Iterable[str] | None = None,
    close: bool = False,
    reason: str = "",
) -> Ticket:
    """What a shop may change on its ticket: priority, tags, and closing it."""
    changes = {"priority": priority} if priority is not None else {}
    tag_list = _tags_named(tags) if tags is not None else None
    if changes or tag_list is not None:
        ticket = ticket_update(actor=None, ticket=ticket, tags=tag_list, **changes)
    if close and ticket.status != Status.CLOSED:
        ticket = ticket_close(actor=None, ticket=ticket, reason=reason or _("Closed by the shop"))
    return ticket


# -- inbound platform events -------------------------------------------------------------------

#: event type → (what it does, ticket type when it opens one, priority, subject)
INBOUND_MAPPING = {
    "refund_dispute.opened": (
        "open",
        Ticket.Type.COMPLAINT,
        Ticket.Priority.P2,
        gettext_lazy("Refund dispute on order %(order)s"),
    ),
    "after_sale.requested": (
        "open",
        Ticket.Type.AFTERSALES,
        Ticket.Priority.P3,
        gettext_lazy("After-sales request on order %(order)s"),
    ),
    "return.requested": (
        "open",
        Ticket.Type.RETURN_EXCHANGE,
        Ticket.Priority.P3,
        gettext_lazy("Return request on order %(order)s"),
    ),
    "buyer.message": (
        "message",
        Ticket.Type.CONSULTATION,
        Ticket.Priority.P3,
        gettext_lazy("Buyer message about order %(order)s"),
    ),
    "order.cancelled": ("note", None, None, gettext_lazy("The order was cancelled.")),
    "refund_dispute.closed": ("note", None, None, gettext_lazy("The refund dispute was closed.")),
}


def _open_for_order(shop: Shop, order_ref: str, ticket_type: str | None = None):
    tickets = Ticket.objects.filter(shop=shop, order_ref=order_ref, status__in=OPEN_STATUSES)
    if ticket_type is not None:
        tickets = tickets.filter(type=ticket_type)
    return tickets.order_by("-opened_at", "-pk")


def inbound_event_receive(*, shop: Shop, event: dict) -> tuple[InboundEvent, bool]:
    """Record a platform event once per event id and act on it: open a ticket, add the
    buyer's message, or note it on the order's open tickets (``INBOUND_MAPPING``). Returns
    the event and whether it was new; a replay (or one racing its twin) does nothing."""
    event_type = event["event_type"]
    if event_type not in INBOUND_MAPPING:
        raise ValidationError(
            {
                "event_type": _("Unknown event type. Known: %(known)s.")
                % {"known": ", ".join(INBOUND_MAPPING)}
            }
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = InboundEvent.objects.create(
                    shop=shop,
                    event_id=event["event_id"],
                    event_type=event_type,
                    occurred_at=event["occurred_at"],
                    order_ref=event.get("order_ref") or "",
                    payload=event["raw"],
                )
        except IntegrityError:
            return InboundEvent.objects.get(shop=shop, event_id=event["event_id"]), False
        # What it writes on tickets is in the team's language, whoever the caller is.
        with translation.override(settings.LANGUAGE_CODE):
            record.ticket, record.outcome = _inbound_apply(shop, event)
        record.save(update_fields=["ticket", "outcome"])
    return record, True


def _inbound_apply(shop: Shop, event: dict) -> tuple[Ticket | None, str]:
    action, ticket_type, priority, text = INBOUND_MAPPING[event["event_type"]]
    order_ref = event.get("order_ref") or ""
    data = event.get("data") or {}
    summary = str(data.get("reason") or data.get("message") or data.get("description") or "")
    occurred_at = min(event["occurred_at"], timezone.now())
    if action == "note":
        tickets = list(_open_for_order(shop, order_ref)) if order_ref else []
        note = str(text) + (f"\n{summary}" if summary else "")
        for ticket in tickets:
            ticket_platform_note(ticket=ticket, body=note)
        if not tickets:
            return None, _("No open ticket for the order: recorded only.")
        return tickets[0], _("Noted on %(count)d open ticket(s).") % {"count": len(tickets)}
    # Another dispute on the order joins its open complaint; a buyer's message joins
    # whatever is open for the order.
    same_type = ticket_type if action == "open" else None
    existing = _open_for_order(shop, order_ref, same_type).first() if order_ref else None
    if existing is not None:
        body = summary or str(text % {"order": order_ref})
        ticket_customer_message(ticket=existing, body=body, channel=Ticket.Channel.API)
        return existing, _("Added to the open ticket %(number)s.") % {"number": existing.number}
    buyer = event.get("buyer") or {}
    if not str(buyer.get("buyer_id") or "").strip():
        raise ValidationError(
            {"buyer.buyer_id": _("The event opens a ticket, which needs the buyer: send it.")}
        )
    subject = str(data.get("subject") or text % {"order": order_ref or "-"})[:200]
    ticket = shop_ticket_open(
        shop=shop,
        customer=buyer,
        subject=subject,
        description=summary,
        type=ticket_type,
        priority=data.get("priority")
        if data.get("priority") in Ticket.Priority.values
        else priority,
        order_ref=order_ref,
        opened_at=occurred_at,
    )
    return ticket, _("Opened %(number)s.") % {"number": ticket.number}
