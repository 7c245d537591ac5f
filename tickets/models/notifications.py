"""In-app notifications (the bell), also sent by email where the person wants that."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Staff


class Notification(models.Model):
    """One message to one person. Those made for an SLA alert are unique per alert and
    recipient, so an alert can never notify anyone twice. Unsent emails are the outbox."""

    class Kind(models.TextChoices):
        SLA_WARNED = "sla_warned", _("SLA at risk")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        SLA_BREACH_OLD = "sla_breach_old", _("SLA breach unresolved")
        CALLBACK_DUE = "callback_due", _("Callback due")
        CALLBACK_OVERDUE = "callback_overdue", _("Callback overdue")
        TRAINING_REMINDER = "training_reminder", _("Training session soon")
        TRAINING_OVERDUE = "training_overdue", _("Required training overdue")
        CERTIFICATE_EXPIRING = "certificate_expiring", _("Certificate expiring")
        RETRAINING = "retraining", _("Retraining or reassignment needed")

    recipient = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sla_event = models.ForeignKey(
        "tickets.SlaEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(
                fields=["created_at"],
                condition=Q(email_wanted=True, emailed_at__isnull=True),
                name="notification_email_outbox",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "sla_event"],
                condition=Q(sla_event__isnull=False),
                name="notification_once_per_alert",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class NotificationPreference(models.Model):
    """Which kinds of notification a person also wants by email (in-app is always on)."""

    staff = models.OneToOneField(
        Staff, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_kinds = models.JSONField(_("by email"), default=list, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.staff)
