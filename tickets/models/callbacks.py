"""回访: calling the customer back after a ticket is resolved."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Staff


class Callback(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        UNREACHED = "unreached", _("Closed unreached")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        SATISFIED = "satisfied", _("Reached, satisfied")
        UNSATISFIED = "unsatisfied", _("Reached, not satisfied")
        NOT_REACHED = "not_reached", _("Not reached")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="callbacks")
    assignee = models.ForeignKey(
        Staff, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="callbacks"
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=Q(status="scheduled"),
                name="callback_one_scheduled_per_ticket",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.due_at:%Y-%m-%d %H:%M}"
