"""The tickets app's models: customers and tickets (``core``), business calendars, SLA
policies."""

from tickets.models.calendars import BusinessCalendar, StatutoryDay, WorkingInterval
from tickets.models.callbacks import Callback
from tickets.models.core import (
    Attachment,
    Category,
    Customer,
    CustomerAccount,
    CustomerPhone,
    Macro,
    Message,
    PhoneReveal,
    RootCause,
    Shop,
    Tag,
    Ticket,
    TicketCounter,
    TicketEvent,
    attachment_path,
    mask_phone,
    normalise_phone,
)
from tickets.models.integrations import (
    ApiKey,
    IdempotencyRecord,
    InboundEvent,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from tickets.models.notifications import Notification, NotificationPreference
from tickets.models.sla import SlaClock, SlaEvent, SlaPolicy

__all__ = [
    "ApiKey",
    "Attachment",
    "BusinessCalendar",
    "Callback",
    "Category",
    "Customer",
    "CustomerAccount",
    "CustomerPhone",
    "IdempotencyRecord",
    "InboundEvent",
    "Macro",
    "Message",
    "Notification",
    "NotificationPreference",
    "PhoneReveal",
    "RootCause",
    "Shop",
    "SlaClock",
    "SlaEvent",
    "SlaPolicy",
    "StatutoryDay",
    "Tag",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "WorkingInterval",
    "attachment_path",
    "mask_phone",
    "normalise_phone",
]
