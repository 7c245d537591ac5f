"""客户档案: creating, finding, merging customers, and revealing their phone numbers."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from staff.models import Staff
from tickets.models import (
    Customer,
    CustomerAccount,
    CustomerPhone,
    PhoneReveal,
    Shop,
    Tag,
    Ticket,
    TicketEvent,
    normalise_phone,
)
from tickets.permissions import TicketNotAllowed, may_reveal_phone

MIN_PHONE_DIGITS = 5


def _clean_phones(phones: Iterable[str]) -> list[tuple[str, str]]:
    """(as written, normalised) pairs, without blanks or repeats; bad numbers are an error."""
    seen: dict[str, str] = {}
    for raw in phones:
        raw = (raw or "").strip()
        if not raw:
            continue
        digits = normalise_phone(raw)
        if len(digits) < MIN_PHONE_DIGITS or len(digits) > 20:
            raise ValidationError(
                {"phones": _("“%(phone)s” is not a phone number.") % {"phone": raw}}
            )
        seen.setdefault(digits, raw)
    return [(raw, digits) for digits, raw in seen.items()]


def customer_phones_check(*, phones: Iterable[str]) -> None:
    """Raise the ``ValidationError`` that ``customer_create``/``customer_update`` would raise
    for these numbers, so a form can show it before saving."""
    _clean_phones(phones)


@transaction.atomic
def customer_create(
    *,
    name: str,
    phones: Iterable[str] = (),
    email: str = "",
    company: str = "",
    industry: str = "",
    tier: str = "",
    notes: str = "",
    accounts: Iterable[tuple[Shop, str]] = (),
    tags: Iterable[Tag] = (),
) -> Customer:
    """A new customer record. A platform account already on file is an error."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The customer needs a name.")})
    phone_rows = _clean_phones(phones)
    accounts = [
        (shop, buyer_id.strip()) for shop, buyer_id in accounts if buyer_id and buyer_id.strip()
    ]
    for shop, buyer_id in accounts:
        if CustomerAccount.objects.filter(shop=shop, buyer_id=buyer_id).exists():
            raise ValidationError(
                {
                    "accounts": _("%(shop)s buyer %(buyer)s is already on file.")
                    % {"shop": shop, "buyer": buyer_id}
                }
            )
    customer = Customer.objects.create(
        name=name, email=email, company=company, industry=industry, tier=tier, notes=notes
    )
    CustomerPhone.objects.bulk_create(
        CustomerPhone(customer=customer, number=raw, normalised=digits)
        for raw, digits in phone_rows
    )
    CustomerAccount.objects.bulk_create(
        CustomerAccount(customer=customer, shop=shop, buyer_id=buyer_id)
        for shop, buyer_id in accounts
    )
    if tags:
        customer.tags.set(tags)
    return customer


@transaction.atomic
def customer_upsert_for_account(
    *, shop: Shop, buyer_id: str, name: str = "", phone: str = ""
) -> Customer:
    """The customer behind a shop's buyer id, created on first sight (shops, API).

    Later calls fill in a missing name and add a new phone, never overwrite.
    """
    buyer_id = (buyer_id or "").strip()
    if not buyer_id:
        raise ValidationError({"buyer_id": _("A buyer id is required.")})
    account = (
        CustomerAccount.objects.select_for_update()
        .select_related("customer")
        .filter(shop=shop, buyer_id=buyer_id)
        .first()
    )
    if account is None:
        return customer_create(name=name or buyer_id, phones=[phone], accounts=[(shop, buyer_id)])
    customer = account.customer
    while customer.merged_into_id is not None:
        customer = customer.merged_into
    if phone:
        for raw, digits in _clean_phones([phone]):
            CustomerPhone.objects.get_or_create(
                customer=customer, normalised=digits, defaults={"number": raw}
            )
    if name and customer.name == buyer_id:
        customer.name = name
        customer.save(update_fields=["name", "updated_at"])
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    phones: Iterable[str] | None = None,
    tags: Iterable[Tag] | None = None,
    **fields: str,
) -> Customer:
    """Change a customer's details; ``phones`` and ``tags`` replace the lists they name."""
    allowed = {"name", "email", "company", "industry", "tier", "notes"}
    if set(fields) - allowed:
        raise TypeError(f"customer_update cannot change {sorted(set(fields) - allowed)}")
    if "name" in fields and not fields["name"].strip():
        raise ValidationError({"name": _("The customer needs a name.")})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    for field, value in fields.items():
        setattr(customer, field, value.strip())
    customer.save()
    if phones is not None:
        rows = _clean_phones(phones)
        customer.phones.exclude(normalised__in=[digits for _raw, digits in rows]).delete()
        for raw, digits in rows:
            CustomerPhone.objects.update_or_create(
                customer=customer, normalised=digits, defaults={"number": raw}
            )
    if tags is not None:
        customer.tags.set(tags)
    return customer


@transaction.atomic
def customer_merge(*, actor: Staff, source: Customer, target: Customer) -> Customer:
    """Fold ``source`` into ``target``: tickets, phones, accounts and tags move; the source
    record stays, marked as merged, so its history is kept."""
    if actor.role not in (Staff.Role.SUPERVISOR, Staff.Role.MANAGER, Staff.Role.DIRECTOR):
        raise TicketNotAllowed(_("Only supervisors and managers may merge customers."))
    source, target = (
        Customer.objects.select_for_update().get(pk=source.pk),
        Customer.objects.select_for_update().get(pk=target.pk),
    )
    if source.pk == target.pk:
        raise ValidationError({"target": _("A customer cannot be merged into itself.")})
    if source.merged_into_id or target.merged_into_id:
        raise ValidationError({"target": _("One of these customers was already merged away.")})
    moved = list(Ticket.objects.filter(customer=source).values_list("pk", flat=True))
    Ticket.objects.filter(pk__in=moved).update(customer=target)
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket_id=ticket_id,
            kind=TicketEvent.Kind.CUSTOMER_MERGED,
            actor=actor,
            data={"from": source.pk, "from_name": source.name, "into": target.pk},
        )
        for ticket_id in moved
    )
    known = set(target.phones.values_list("normalised", flat=True))
    source.phones.exclude(normalised__in=known).update(customer=target)
    source.accounts.update(customer=target)
    target.tags.add(*source.tags.all())
    for field in ("email", "company", "industry", "tier"):
        if not getattr(target, field) and getattr(source, field):
            setattr(target, field, getattr(source, field))
    if source.notes:
        target.notes = "\n".join(filter(None, [target.notes, source.notes]))
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    return target


@transaction.atomic
def customer_reveal_phones(
    *, actor: Staff, customer: Customer, ticket: Ticket | None = None
) -> list[str]:
    """The customer's full numbers, for someone allowed to see them; every reveal is logged."""
    if not may_reveal_phone(actor):
        raise TicketNotAllowed(_("Your role may not see full phone numbers."))
    PhoneReveal.objects.create(customer=customer, staff=actor, ticket=ticket)
    return list(customer.phones.values_list("number", flat=True))
