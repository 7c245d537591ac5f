"""Shops, customer records (客户档案), tickets and complaints, and their conversations."""

import re
import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from staff.models import Staff, Team

PHONE_DIGITS = re.compile(r"\D+")


def webhook_secret_new() -> str:
    """A shop's secret for signing webhooks both ways (HMAC-SHA256)."""
    return secrets.token_hex(32)


def normalise_phone(raw: str) -> str:
    """Digits only, without China's +86/0086 prefix: ``+86 138-1234-5759`` → ``13812345759``."""
    digits = PHONE_DIGITS.sub("", raw or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def mask_phone(raw: str) -> str:
    """``13812345759`` → ``138****5759``; short numbers keep only their last four digits."""
    digits = normalise_phone(raw)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


class Shop(models.Model):
    """A store (店铺) that customers buy from and tickets belong to."""

    class Platform(models.TextChoices):
        TAOBAO = "taobao", _("Taobao")
        TMALL = "tmall", _("Tmall")
        JD = "jd", _("JD.com")
        PDD = "pdd", _("Pinduoduo")
        DOUYIN = "douyin", _("Douyin")
        OWN_SITE = "own_site", _("Own site")
        OFFLINE = "offline", _("Offline")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    is_active = models.BooleanField(_("active"), default=True)
    default_team = models.ForeignKey(
        Team,
        verbose_name=_("queue for its tickets"),
        help_text=_("The group that gets tickets the shop opens through the API."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        limit_choices_to={"kind": "group"},
        related_name="+",
    )
    complaint_team = models.ForeignKey(
        Team,
        verbose_name=_("queue for its complaints"),
        help_text=_("Complaints and refund disputes go here (else to the queue above)."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        limit_choices_to={"kind": "group"},
        related_name="+",
    )
    webhook_secret = models.CharField(
        _("webhook secret"), max_length=64, default=webhook_secret_new, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """客户档案: one person or company, with phones and platform accounts."""

    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    tier = models.CharField(_("customer tier"), max_length=20, blank=True, db_index=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    notes = models.TextField(_("notes"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tickets:customer", args=[self.pk])


class CustomerPhone(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=30)
    normalised = models.CharField(max_length=20, db_index=True, editable=False)

    class Meta:
        verbose_name = _("customer phone")
        verbose_name_plural = _("customer phones")
        constraints = [
            models.UniqueConstraint(fields=["customer", "normalised"], name="customer_phone_once"),
        ]

    def __str__(self) -> str:
        return mask_phone(self.number)

    @property
    def masked(self) -> str:
        return mask_phone(self.number)


class CustomerAccount(models.Model):
    """A buyer account on a shop's platform (e.g. a Taobao nick): unique per shop."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="accounts")
    shop = models.ForeignKey(Shop, verbose_name=_("shop"), on_delete=models.PROTECT)
    buyer_id = models.CharField(_("buyer id"), max_length=100)

    class Meta:
        verbose_name = _("platform account")
        verbose_name_plural = _("platform accounts")
        constraints = [
            models.UniqueConstraint(fields=["shop", "buyer_id"], name="buyer_unique_per_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.shop.code}:{self.buyer_id}"


class PhoneReveal(models.Model):
    """Who saw a customer's full phone number, and when (PII access log)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reveals")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        "Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("revealed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("phone reveal")
        verbose_name_plural = _("phone reveals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.staff} → {self.customer} @ {self.created_at:%Y-%m-%d %H:%M}"


class TreeNode(models.Model):
    """An admin-managed tree of names (categories, root causes)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["parent_id", "name"]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class Category(TreeNode):
    """The tree of ticket categories (问题分类)."""

    class Meta(TreeNode.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_name_per_parent")
        ]


class RootCause(TreeNode):
    """The tree of root causes (根本原因), for complaint analysis."""

    class Meta(TreeNode.Meta):
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="root_cause_name_per_parent")
        ]


class TicketCounter(models.Model):
    """The last ticket number given out in a month (CS-YYYYMM-NNNNNN)."""

    period = models.CharField(max_length=6, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.period}: {self.last}"


class SlaState(models.TextChoices):
    NONE = "none", _("No SLA")
    OK = "ok", _("On time")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    MET = "met", _("Met")
    PAUSED = "paused", _("Paused")


class Ticket(models.Model):
    SlaState = SlaState

    class Type(models.TextChoices):
        CONSULTATION = "consultation", _("Consultation")
        PRESALES = "presales", _("Pre-sales inquiry")
        AFTERSALES = "aftersales", _("After-sales")
        COMPLAINT = "complaint", _("Complaint")
        RETURN_EXCHANGE = "return_exchange", _("Return / exchange")
        LOGISTICS = "logistics", _("Logistics")
        SUGGESTION = "suggestion", _("Suggestion")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        CHAT = "chat", _("Online chat")
        EMAIL = "email", _("Email")
        IM = "im", _("IM (Aliwangwang etc.)")
        WECHAT = "wechat", _("WeChat")
        SOCIAL = "social", _("Social media")
        ONSITE = "onsite", _("On site")
        API = "api", _("Shop API")

    class Priority(models.TextChoices):
        P1 = "P1", _("P1 · urgent")
        P2 = "P2", _("P2 · high")
        P3 = "P3", _("P3 · normal")
        P4 = "P4", _("P4 · low")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING_CUSTOMER = "pending_customer", _("Waiting on customer")
        PENDING_INTERNAL = "pending_internal", _("Waiting on internal")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    #: Statuses in which a ticket is still being worked on.
    IN_WORK = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL)

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P3
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        Staff,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    shop = models.ForeignKey(
        Shop,
        verbose_name=_("shop"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    order_ref = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    root_cause = models.ForeignKey(
        RootCause,
        verbose_name=_("root cause"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        Staff,
        verbose_name=_("escalated to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_tickets",
    )
    # 投诉 — complaint details
    complaint_reason = models.TextField(_("complaint reason"), blank=True)
    customer_demand = models.TextField(_("customer's demand"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    responsible_department = models.CharField(
        _("responsible department"), max_length=100, blank=True
    )
    remedy = models.TextField(_("remedy / compensation"), blank=True)

    # SLA (see ``tickets.services.sla``): due times of the running clocks, for queues.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA"), max_length=10, choices=SlaState.choices, default=SlaState.NONE, db_index=True
    )

    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_by = models.ForeignKey(
        Staff,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=[
            "search_text",
            "updated_at",
            "created_at",
            "first_response_due",
            "next_response_due",
            "resolution_due",
            "sla_state",
        ]
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        permissions = [("reveal_customer_phone", _("Can reveal customers' full phone numbers"))]
        indexes = [
            models.Index(
                fields=["assignee", "status", "-created_at"], name="ticket_assignee_queue"
            ),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_queue"),
            models.Index(
                fields=["escalated_to", "status", "-created_at"], name="ticket_escalated_queue"
            ),
            models.Index(
                fields=["team", "-created_at", "-id"],
                condition=Q(status__in=["new", "open", "pending_customer", "pending_internal"]),
                name="ticket_team_open_newest",
            ),
            models.Index(
                fields=["team", "-created_at", "-id"],
                condition=Q(
                    assignee__isnull=True,
                    status__in=["new", "open", "pending_customer", "pending_internal"],
                ),
                name="ticket_unassigned_queue",
            ),
            models.Index(
                fields=["assignee", "-created_at", "-id"],
                condition=Q(status__in=["new", "open", "pending_customer", "pending_internal"]),
                name="ticket_assignee_open_newest",
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_newest"),
            models.Index(
                fields=["team", "resolution_due"],
                condition=Q(status__in=["new", "open", "pending_customer", "pending_internal"]),
                name="ticket_team_open_due",
            ),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_history"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["shop", "-id"], name="ticket_shop_api"),
            models.Index(fields=["shop", "updated_at"], name="ticket_shop_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(escalation_level__lte=2), name="ticket_escalation_level_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tickets:detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.status in self.IN_WORK

    @property
    def is_complaint(self) -> bool:
        return self.type == self.Type.COMPLAINT


class Message(models.Model):
    """One entry in a ticket's conversation: a customer message, a public reply or a note."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer message")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        Staff,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    channel = models.CharField(
        _("channel"), max_length=20, choices=Ticket.Channel.choices, blank=True
    )
    created_at = models.DateTimeField(_("sent at"), db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_conversation")]

    def __str__(self) -> str:
        return f"{self.ticket.number} · {self.get_kind_display()}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


def attachment_path(attachment: "Attachment", filename: str) -> str:
    ticket = attachment.message.ticket
    return f"attachments/{ticket.created_at:%Y/%m}/{ticket.number}/{filename}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Macro(models.Model):
    """话术: a canned reply, for one team or for everyone, with placeholders
    ``{customer_name}``, ``{ticket_number}``, ``{agent_name}``."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        help_text=_("Empty: available to every team."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class TicketEvent(models.Model):
    """The audit trail of a ticket: who did what, when, from which state to which."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CLAIMED = "claimed", _("Claimed")
        ASSIGNED = "assigned", _("Assigned")
        UNASSIGNED = "unassigned", _("Unassigned")
        STATUS = "status", _("Status changed")
        REPLIED = "replied", _("Replied")
        NOTED = "noted", _("Internal note")
        CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
        ESCALATED = "escalated", _("Escalated")
        TRANSFERRED = "transferred", _("Transferred")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        UPDATED = "updated", _("Details changed")
        CUSTOMER_MERGED = "customer_merged", _("Customer merged")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        Staff,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_event_trail")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
