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
