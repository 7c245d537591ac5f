"""The agent queue UI: queues, the ticket page, customers. Every write calls a service."""

from tickets.views.callbacks import callback_list, callback_record_view
from tickets.views.customers import (
    customer_detail,
    customer_list,
    customer_merge_view,
    customer_reveal,
)
from tickets.views.notifications import bell, notification_list, notifications_read
from tickets.views.queue import bulk_assign, queue, queue_counts_view, queue_index
from tickets.views.ticket import (
    ticket_action,
    ticket_detail,
    ticket_new,
    ticket_presence,
    ticket_reply_view,
)

__all__ = [
    "bell",
    "bulk_assign",
    "callback_list",
    "callback_record_view",
    "customer_detail",
    "customer_list",
    "customer_merge_view",
    "customer_reveal",
    "notification_list",
    "notifications_read",
    "queue",
    "queue_counts_view",
    "queue_index",
    "ticket_action",
    "ticket_detail",
    "ticket_new",
    "ticket_presence",
    "ticket_reply_view",
]
