"""Customers in the admin: masked phones, search by phone, merge."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from csmanage.admin import ScopedHistoryAdmin
from staff.models import Staff
from staff.selectors import staff_of
from tickets import services
from tickets.admin.common import (
    NO_STAFF_RECORD,
    PHONE_SEPARATORS,
    ReadOnlyInline,
    _reason,
)
from tickets.models import (
    Customer,
    CustomerAccount,
    CustomerPhone,
    mask_phone,
    normalise_phone,
)
from tickets.selectors import PHONE_LIKE, customer_list_for, with_duplicate_flag
from tickets.services.customers import customer_phones_check

Role = Staff.Role


class CustomerAdminForm(forms.ModelForm):
    """客户档案 form. Full phone numbers are never shown: existing ones appear masked and
    may be removed; new ones are typed in."""

    phones = forms.CharField(
        label=_("phone numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, or separated by commas."),
    )
    remove_phones = forms.MultipleChoiceField(
        label=_("remove numbers"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Customer
        fields = ("name", "email", "company", "industry", "tier", "tags", "notes")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["phones"].label = _("add phone numbers")
            self.fields["remove_phones"].choices = [
                (str(phone.pk), phone.masked) for phone in self.instance.phones.order_by("pk")
            ]
        else:
            del self.fields["remove_phones"]

    def clean_phones(self) -> list[str]:
        raw = self.cleaned_data.get("phones") or ""
        numbers = [part.strip() for part in PHONE_SEPARATORS.split(raw) if part.strip()]
        try:
            customer_phones_check(phones=numbers)
        except ValidationError as error:
            raise forms.ValidationError(_reason(error)) from error
        return numbers

    def phone_list(self) -> list[str] | None:
        """Every number the customer keeps, or None when the numbers were not touched."""
        added = self.cleaned_data.get("phones") or []
        removed = set(self.cleaned_data.get("remove_phones") or [])
        if not added and not removed:
            return None
        kept = [
            phone.number
            for phone in self.instance.phones.order_by("pk")
            if str(phone.pk) not in removed
        ]
        return kept + added


class CustomerMergeForm(forms.Form):
    """Two customers selected: which one stays. Otherwise: the number of the one to keep."""

    target = forms.ModelChoiceField(label=_("keep"), queryset=Customer.objects.none())

    def __init__(
        self, *args, customers: list[Customer], candidates: QuerySet[Customer], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.customers = customers
        field = self.fields["target"]
        if len(customers) == 2:
            field.queryset = candidates.filter(pk__in=[c.pk for c in customers])
            field.widget = forms.RadioSelect()
            field.label_from_instance = _customer_label
            field.help_text = _("The other record is merged into the one you keep.")
        else:
            field.queryset = candidates
            field.widget = forms.NumberInput()
            field.label = _("merge into customer no.")

    def clean(self) -> dict:
        cleaned = super().clean()
        target = cleaned.get("target")
        if target is not None and not self.sources():
            raise forms.ValidationError(_("Choose a customer other than the ones merged."))
        return cleaned

    def sources(self) -> list[Customer]:
        target = self.cleaned_data["target"]
        return [customer for customer in self.customers if customer.pk != target.pk]


def _customer_label(customer: Customer) -> str:
    phones = ", ".join(phone.masked for phone in customer.phones.all())
    return f"#{customer.pk} {customer.name}" + (f" ({phones})" if phones else "")


class CustomerAccountInline(ReadOnlyInline):
    model = CustomerAccount
    fields = readonly_fields = ("shop", "buyer_id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("shop")


@admin.register(Customer)
class CustomerAdmin(ScopedHistoryAdmin):
    form = CustomerAdminForm
    list_display = (
        "name",
        "masked_phones",
        "company",
        "tier",
        "created_at",
        "likely_duplicate",
    )
    list_filter = ("tier", "tags")
    search_fields = ("name", "company", "accounts__buyer_id")
    list_per_page = 50
    inlines = (CustomerAccountInline,)
    actions = ("merge",)
    fields = (
        "name",
        "email",
        "company",
        "industry",
        "tier",
        "tags",
        "notes",
        "remove_phones",
        "phones",
        "created_at",
    )
    readonly_fields = ("created_at",)
    filter_horizontal = ("tags",)
    history_list_display = ("name", "tier")

    def get_queryset(self, request: HttpRequest):
        return with_duplicate_flag(customer_list_for(user=request.user))

    def get_fields(self, request, obj=None):
        return [f for f in self.fields if obj is not None or f != "remove_phones"]

    @admin.display(description=_("phones"))
    def masked_phones(self, customer: Customer) -> str:
        return ", ".join(mask_phone(phone.number) for phone in customer.phones.all())

    @admin.display(description=_("likely duplicate"), boolean=True, ordering="likely_duplicate")
    def likely_duplicate(self, customer: Customer) -> bool:
        return customer.likely_duplicate

    def get_search_results(self, request, queryset, search_term):
        """Name, company and buyer id as usual; a phone in any format matches the stored
        number (or, for a few digits, its ending)."""
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        digits = normalise_phone(term)
        if not PHONE_LIKE.match(term) or len(digits) < 4:
            return matched, may_have_duplicates
        phones = CustomerPhone.objects.filter(
            Q(normalised=digits) if len(digits) >= 11 else Q(normalised__endswith=digits)
        )
        by_phone = Q(pk__in=phones.values("customer_id"))
        return queryset.filter(Q(pk__in=matched.values("pk")) | by_phone), False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Customer, form: CustomerAdminForm, change: bool) -> None:
        data = form.cleaned_data
        details = {
            field: data[field]
            for field in ("name", "email", "company", "industry", "tier", "notes")
        }
        if change:
            services.customer_update(
                customer=obj, phones=form.phone_list(), tags=data["tags"], **details
            )
            return
        customer = services.customer_create(phones=data["phones"], tags=data["tags"], **details)
        obj.pk = customer.pk

    def save_related(self, request, form, formsets, change) -> None:
        """The admin's, without ``form.save_m2m()``: the service stored the tags."""
        for formset in formsets:  # read-only inlines: nothing changes, but the log needs it
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Merge selected customers…"), permissions=["change"])
    def merge(self, request: HttpRequest, queryset) -> HttpResponse | None:
        actor = staff_of(request.user)
        if actor is None:
            messages.error(request, NO_STAFF_RECORD)
            return None
        customers = list(queryset.order_by("pk"))
        candidates = customer_list_for(user=request.user)
        form = CustomerMergeForm(
            request.POST if "confirm" in request.POST else None,
            customers=customers,
            candidates=candidates,
        )
        if form.is_bound and form.is_valid():
            target = form.cleaned_data["target"]
            merged = []
            for source in form.sources():
                try:
                    services.customer_merge(actor=actor, source=source, target=target)
                except (PermissionDenied, ValidationError) as error:
                    messages.error(
                        request,
                        _("%(customer)s was not merged: %(reason)s")
                        % {"customer": source.name, "reason": _reason(error)},
                    )
                else:
                    merged.append(source.name)
            if merged:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d customer merged into %(target)s: %(names)s.",
                        "%(count)d customers merged into %(target)s: %(names)s.",
                        len(merged),
                    )
                    % {"count": len(merged), "target": target.name, "names": ", ".join(merged)},
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge customers"),
            "customers": [(customer, _customer_label(customer)) for customer in customers],
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tickets/customer_merge.html", context)


# ── Set-up data (no services of their own) ───────────────────────────────────────────────
