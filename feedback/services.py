"""Every write to customer feedback."""

from django.db import IntegrityError, transaction

from feedback.models import Rating
from tickets.models import Shop, Ticket


def rating_record(
    *,
    ticket: Ticket,
    score: int,
    comment: str = "",
    source: str = Rating.Source.SHOP,
    shop: Shop | None = None,
) -> tuple[Rating, bool]:
    """The customer's rating of a ticket from one source; a later one from the same source
    replaces it (platforms let buyers revise). Returns the rating and whether it is new."""
    values = {"score": score, "comment": (comment or "").strip(), "shop": shop}
    try:
        with transaction.atomic():
            return Rating.objects.update_or_create(ticket=ticket, source=source, defaults=values)
    except IntegrityError:  # a twin request created it meanwhile
        return Rating.objects.update_or_create(ticket=ticket, source=source, defaults=values)
