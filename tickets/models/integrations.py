"""What shops integrate with: API keys, idempotent requests, inbound platform events and
outbound webhook subscriptions with their delivery log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Staff
from tickets.models.core import Shop, Ticket


class ApiKey(models.Model):
    """A bearer credential for the REST API: a shop's (it sees only its own customers and
    tickets) or a staff member's personal token (the staff scope rule applies). Only a hash
    is stored; the key itself is shown once, when it is made."""

    class Scope(models.TextChoices):
        TICKETS_READ = "tickets:read", _("Read tickets")
        TICKETS_WRITE = "tickets:write", _("Open and change tickets")
        CUSTOMERS_READ = "customers:read", _("Read customers")
        CUSTOMERS_WRITE = "customers:write", _("Create and change customers")
        RATINGS_WRITE = "ratings:write", _("Send ratings")

    name = models.CharField(_("name"), max_length=100)
    shop = models.ForeignKey(
        Shop,
        verbose_name=_("shop"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    staff = models.ForeignKey(
        Staff,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
    )
    prefix = models.CharField(_("key starts with"), max_length=16, editable=False)
    hashed = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shop__isnull=False, staff__isnull=True)
                | Q(shop__isnull=True, staff__isnull=False),
                name="api_key_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an ``Idempotency-Key``: a repeat with the same
    key and body gets it again instead of acting twice."""

    key = models.CharField(max_length=255)
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"],
                condition=Q(api_key__isnull=False),
                name="idempotency_once_per_api_key",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=Q(api_key__isnull=True),
                name="idempotency_once_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class InboundEvent(models.Model):
    """A platform event a shop pushed (refund dispute, after-sales request…), kept once per
    event id: a replay is acknowledged and ignored."""

    shop = models.ForeignKey(Shop, verbose_name=_("shop"), on_delete=models.CASCADE)
    event_id = models.CharField(_("event id"), max_length=100)
    event_type = models.CharField(_("event type"), max_length=50)
    occurred_at = models.DateTimeField(_("occurred at"))
    order_ref = models.CharField(_("order number"), max_length=64, blank=True)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("inbound event")
        verbose_name_plural = _("inbound events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "event_id"], name="inbound_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.shop.code}:{self.event_id}"


class WebhookEvent(models.TextChoices):
    CREATED = "ticket.created", _("Ticket created")
    STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    REPLIED = "ticket.replied", _("Ticket replied")
    RESOLVED = "ticket.resolved", _("Ticket resolved")
    CLOSED = "ticket.closed", _("Ticket closed")


class WebhookSubscription(models.Model):
    """A shop's URL that hears about its tickets' events."""

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["shop", "url"]

    def __str__(self) -> str:
        return f"{self.shop.code} → {self.url}"


class WebhookDelivery(models.Model):
    """One event for one subscription: sent by Celery after commit, retried with
    exponential backoff, dead after ``WEBHOOK_MAX_ATTEMPTS`` failures (re-sendable)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        RETRYING = "retrying", _("Retrying")
        DEAD = "dead", _("Dead letter")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"), unique=True)
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(_("last response"), null=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "retrying"]),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.url}"
