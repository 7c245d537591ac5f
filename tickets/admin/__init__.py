"""Admin for supervisors, managers and the director: every list is scoped through the
ticket selectors, every write to tickets and customers goes through ``tickets.services``.

Tickets are opened from the queue UI and the API, so the admin has no "add" for them; its
work is looking across the queue, correcting details and the bulk actions (assign,
auto-assign, escalate, close), each of which reports what it did and what was refused.
"""

from tickets.admin import api_keys, calendars, customers, setup, tickets, webhooks

__all__ = ["api_keys", "calendars", "customers", "setup", "tickets", "webhooks"]
