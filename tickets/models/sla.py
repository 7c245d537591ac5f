"""SLA policies: which targets a ticket gets, in working minutes on a business calendar."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models.calendars import BusinessCalendar


class SlaPolicy(models.Model):
    """An ordered rule: the first active policy whose conditions all match a ticket applies.
    An empty condition matches everything."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("order"), default=100, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    types = models.JSONField(_("ticket types"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    customer_tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response (working minutes)"), null=True, blank=True
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (working minutes)"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (working minutes)"), null=True, blank=True
    )
    escalate_on_breach = models.BooleanField(
        _("escalate on breach"),
        default=False,
        help_text=_(
            "A breached ticket goes one step up: to the group's supervisor, then the manager."
        ),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, type: str, priority: str, channel: str, customer_tier: str) -> bool:
        return all(
            not allowed or value in allowed
            for allowed, value in (
                (self.types, type),
                (self.priorities, priority),
                (self.channels, channel),
                (self.customer_tiers, customer_tier),
            )
        )


class SlaClock(models.Model):
    """One SLA target of one ticket, counting working minutes on its policy's calendar.

    ``used_minutes`` is the working time already spent before the current run; while the
    clock runs, ``running_since`` is set and ``due_at`` is when the target is reached.
    A paused clock has neither; a stopped one has ``stopped_at`` (met or breached)."""

    class Metric(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_RESPONSE = "next_response", _("Next response")
        RESOLUTION = "resolution", _("Resolution")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    metric = models.CharField(_("target"), max_length=20, choices=Metric.choices)
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.SET_NULL, null=True, blank=True
    )
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="+")
    target_minutes = models.PositiveIntegerField(_("target (working minutes)"))
    used_minutes = models.FloatField(_("working minutes used"), default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("at risk from"), null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    met = models.BooleanField(_("met"), null=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_once_per_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric}"

    @property
    def is_running(self) -> bool:
        return self.running_since is not None


class SlaEvent(models.Model):
    """What happened to a ticket's SLA clocks, in order (shown on the ticket page).

    A warning or a breach is recorded once per run of a clock (``due_at`` identifies the
    run), so a sweep that runs twice, or two sweeps at once, cannot record it twice."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        WARNED = "warned", _("At risk")
        BREACHED = "breached", _("Breached")
        MANAGER_ALERTED = "manager", _("Manager alerted")
        MET = "met", _("Met")
        MISSED = "missed", _("Missed")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events"
    )
    metric = models.CharField(_("target"), max_length=20, choices=SlaClock.Metric.choices)
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "kind", "due_at"],
                condition=models.Q(kind__in=["warned", "breached", "manager"]),
                name="sla_alert_once_per_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.kind}"
