"""Customer feedback: satisfaction ratings (CSAT) from surveys, callbacks and shops."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Shop, Ticket


class Rating(models.Model):
    """A customer's 1–5 rating of how a ticket was handled, one per ticket and source (a
    later rating from the same source replaces the earlier one, as platforms allow)."""

    class Source(models.TextChoices):
        SHOP = "shop", _("Shop platform")
        SURVEY = "survey", _("Survey")
        CALLBACK = "callback", _("Callback")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ratings"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.SET_NULL, null=True, blank=True
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "source"], name="rating_once_per_source"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.score}"
