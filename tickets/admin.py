"""Admin for supervisors, managers and the director: every list is scoped through the
ticket selectors, every write to tickets and customers goes through ``tickets.services``.

Tickets are opened from the queue UI and the API, so the admin has no "add" for them; its
work is looking across the queue, correcting details and the bulk actions (assign,
auto-assign, escalate, close), each of which reports what it did and what was refused.
"""

import re
from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin

from csmanage import spreadsheets
from csmanage.admin import ScopedHistoryAdmin
from staff.models import Staff, Team
from staff.selectors import scope_for, staff_list_for, staff_of, team_list_for
from tickets import services
from tickets.models import (
    Category,
    Customer,
    CustomerAccount,
    CustomerPhone,
    Macro,
    Message,
    PhoneReveal,
    RootCause,
    Shop,
    Tag,
    Ticket,
    TicketEvent,
    mask_phone,
    normalise_phone,
)
from tickets.permissions import ensure_can_work
from tickets.selectors import PHONE_LIKE, customer_list_for, ticket_list_for, with_duplicate_flag
from tickets.services.customers import customer_phones_check

Role = Staff.Role

#: What a lead may correct on a ticket from the admin (all through ``ticket_update``).
TICKET_EDITABLE_FIELDS = (
    "subject",
    "priority",
    "type",
    "category",
    "root_cause",
    "tags",
    "complaint_reason",
    "customer_demand",
    "severity",
    "responsible_department",
    "remedy",
)
#: Roles that take tickets (``tickets.permissions.ensure_can_take_tickets``).
TICKET_TAKERS = (Role.SPECIALIST, Role.SUPERVISOR, Role.MANAGER, Role.DIRECTOR)
PHONE_SEPARATORS = re.compile(r"[,，;；\r\n]+")
NO_STAFF_RECORD = _(
    "This login has no staff record; ticket and customer work is recorded against a staff member."
)


def _reason(error: Exception) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


def _assignable_staff(user) -> QuerySet[Staff]:
    """Staff in the user's scope who can take tickets now: on post, onboarding passed."""
    return staff_list_for(user=user).filter(
        role__in=TICKET_TAKERS, status=Staff.Status.ON_POST, onboarding_passed=True
    )


class ReadOnlyInline(admin.TabularInline):
    """Rows shown with their parent, never edited here; visible to whoever sees the parent."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        opts = self.parent_model._meta
        return any(
            request.user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}")
            for action in ("view", "change")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# ── Tickets ──────────────────────────────────────────────────────────────────────────────


class TicketGroupFilter(admin.SimpleListFilter):
    title = _("team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        groups = team_list_for(user=request.user).filter(kind=Team.Kind.GROUP)
        return [(team.pk, str(team)) for team in groups]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(team_id=self.value())
        return queryset


class TicketAssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"
    UNASSIGNED = "none"

    def lookups(self, request, model_admin):
        people = staff_list_for(user=request.user).filter(role__in=TICKET_TAKERS)
        return [(self.UNASSIGNED, _("Unassigned"))] + [
            (staff.pk, staff.name) for staff in people.exclude(status=Staff.Status.LEFT)
        ]

    def queryset(self, request, queryset):
        if self.value() == self.UNASSIGNED:
            return queryset.filter(assignee__isnull=True)
        if self.value():
            return queryset.filter(assignee_id=self.value())
        return queryset


class TicketAdminForm(forms.ModelForm):
    """The details a lead may correct. Whether the actor may is checked here, with the
    service's rule, so a refusal shows on the form instead of failing the save."""

    actor: Staff | None = None

    class Meta:
        model = Ticket
        fields = TICKET_EDITABLE_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Retired categories stay valid on tickets that already carry them.
        for name, model in (("category", Category), ("root_cause", RootCause)):
            if name in self.fields:
                current = getattr(self.instance, f"{name}_id", None)
                self.fields[name].queryset = model.objects.filter(
                    Q(is_active=True) | Q(pk=current)
                ).select_related("parent")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if self.actor is None:
            raise forms.ValidationError(NO_STAFF_RECORD)
        try:
            ensure_can_work(self.actor, self.instance)
        except PermissionDenied as denied:
            raise forms.ValidationError(str(denied)) from denied
        return cleaned


class TicketAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("assign to"), queryset=Staff.objects.none())

    def __init__(self, *args, assignees: QuerySet[Staff], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = lambda staff: (
            f"{staff.name} · {staff.team}" if staff.team else staff.name
        )


class TicketReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class MessageInline(ReadOnlyInline):
    model = Message
    fields = readonly_fields = ("created_at", "kind", "author", "channel", "body")
    verbose_name_plural = _("conversation")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = readonly_fields = ("created_at", "kind", "actor", "from_status", "to_status", "data")
    verbose_name_plural = _("audit trail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Ticket)
class TicketAdmin(ScopedHistoryAdmin):
    form = TicketAdminForm
    list_display = (
        "number",
        "subject",
        "type",
        "channel",
        "priority",
        "status",
        "team",
        "assignee",
        "customer",
        "created_at",
    )
    list_display_links = ("number", "subject")
    list_filter = (
        "status",
        "priority",
        TicketGroupFilter,
        TicketAssigneeFilter,
        "channel",
        "type",
        "escalation_level",
    )
    search_fields = ("number", "subject", "order_ref", "customer__name")
    date_hierarchy = "created_at"
    list_select_related = ("team", "assignee", "customer")
    list_per_page = 50
    autocomplete_fields = ("tags",)
    inlines = (MessageInline, TicketEventInline)
    actions = ("assign_to", "auto_assign", "escalate", "close")
    history_list_display = ("status", "priority", "assignee")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "subject",
                    "status",
                    ("type", "channel", "priority"),
                    ("team", "assignee", "assigned_at"),
                    ("customer", "shop", "order_ref"),
                    "description",
                )
            },
        ),
        (_("Classification"), {"fields": ("category", "root_cause", "tags")}),
        (
            _("Complaint"),
            {
                "fields": (
                    "complaint_reason",
                    "customer_demand",
                    "severity",
                    "responsible_department",
                    "remedy",
                )
            },
        ),
        (
            _("Escalation and timeline"),
            {
                "fields": (
                    ("escalation_level", "escalated_to"),
                    ("opened_at", "first_response_at"),
                    ("resolved_at", "closed_at", "reopen_count"),
                    "resolution_summary",
                    ("created_by", "created_at", "updated_at"),
                )
            },
        ),
    )
    readonly_fields = tuple(
        name for name in flatten_fieldsets(fieldsets) if name not in TICKET_EDITABLE_FIELDS
    )

    def get_queryset(self, request: HttpRequest):
        return ticket_list_for(user=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = staff_of(request.user)
        return form

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: Ticket, form: TicketAdminForm, change: bool) -> None:
        changes = {
            field: form.cleaned_data[field]
            for field in TICKET_EDITABLE_FIELDS
            if field in form.cleaned_data
        }
        tags = changes.pop("tags", None)
        services.ticket_update(actor=form.actor, ticket=obj, tags=tags, **changes)

    def save_related(self, request, form, formsets, change) -> None:
        """The admin's, without ``form.save_m2m()``: ``ticket_update`` stored the tags."""
        for formset in formsets:  # read-only inlines: nothing changes, but the log needs it
            self.save_formset(request, form, formset, change=change)

    # ── Bulk actions: each ticket on its own, refusals reported per ticket ──

    def _actor(self, request: HttpRequest) -> Staff | None:
        actor = staff_of(request.user)
        if actor is None:
            messages.error(request, NO_STAFF_RECORD)
        return actor

    def _each_ticket(
        self,
        request: HttpRequest,
        queryset: QuerySet[Ticket],
        work: Callable[[Ticket], object],
        refused: str,
    ) -> list[tuple[Ticket, object]]:
        """Run ``work`` on every ticket; report refusals, return ``(ticket, result)`` pairs."""
        done = []
        for ticket in queryset.order_by("number"):
            try:
                result = work(ticket)
            except (PermissionDenied, ValidationError) as error:
                messages.error(
                    request, refused % {"number": ticket.number, "reason": _reason(error)}
                )
            else:
                done.append((ticket, result))
        return done

    def _action_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[Ticket],
        form: forms.Form,
        *,
        action: str,
        title: str,
        intro: str,
        submit: str,
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit_label": submit,
            "action": action,
            "queryset": queryset.order_by("number"),
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/tickets/ticket_action.html", context)

    @admin.action(description=_("Assign selected tickets to…"), permissions=["change"])
    def assign_to(self, request: HttpRequest, queryset) -> HttpResponse | None:
        actor = self._actor(request)
        if actor is None:
            return None
        form = TicketAssignForm(
            request.POST if "confirm" in request.POST else None,
            assignees=_assignable_staff(request.user),
        )
        if form.is_bound and form.is_valid():
            assignee = form.cleaned_data["assignee"]
            result = services.ticket_bulk_assign(
                actor=actor,
                tickets=list(queryset.order_by("number").values_list("pk", flat=True)),
                assignee=assignee,
            )
            if result["assigned"]:
                count = len(result["assigned"])
                messages.success(
                    request,
                    ngettext(
                        "%(count)d ticket assigned to %(name)s: %(numbers)s.",
                        "%(count)d tickets assigned to %(name)s: %(numbers)s.",
                        count,
                    )
                    % {
                        "count": count,
                        "name": assignee.name,
                        "numbers": ", ".join(result["assigned"]),
                    },
                )
            for number, reason in result["refused"].items():
                messages.error(
                    request,
                    _("%(number)s was not assigned: %(reason)s")
                    % {"number": number, "reason": reason},
                )
            return None
        return self._action_page(
            request,
            queryset,
            form,
            action="assign_to",
            title=_("Assign tickets"),
            intro=_(
                "Choose who takes these tickets. A ticket goes only to a member of its own "
                "group (or one of its leads); the others are reported back."
            ),
            submit=_("Assign"),
        )

    @admin.action(description=_("Auto-assign selected tickets"), permissions=["change"])
    def auto_assign(self, request: HttpRequest, queryset) -> None:
        actor = self._actor(request)
        if actor is None:
            return
        waiting = queryset.filter(assignee__isnull=True, status__in=Ticket.IN_WORK)
        skipped = queryset.exclude(pk__in=waiting.values("pk")).order_by("number")
        for number in skipped.values_list("number", flat=True):
            messages.warning(
                request,
                _("%(number)s was skipped: it is already assigned or no longer in work.")
                % {"number": number},
            )
        done = self._each_ticket(
            request,
            waiting,
            lambda ticket: services.ticket_auto_assign(ticket=ticket, actor=actor),
            _("%(number)s was not auto-assigned: %(reason)s"),
        )
        assigned = [(ticket, staff) for ticket, staff in done if staff is not None]
        for ticket, _staff in (pair for pair in done if pair[1] is None):
            messages.warning(
                request,
                _("%(number)s stays in the queue: nobody in %(team)s can take it now.")
                % {"number": ticket.number, "team": ticket.team.name},
            )
        if assigned:
            messages.success(
                request,
                ngettext(
                    "%(count)d ticket auto-assigned: %(list)s.",
                    "%(count)d tickets auto-assigned: %(list)s.",
                    len(assigned),
                )
                % {
                    "count": len(assigned),
                    "list": ", ".join(
                        f"{ticket.number} → {staff.name}" for ticket, staff in assigned
                    ),
                },
            )

    @admin.action(description=_("Escalate selected tickets…"), permissions=["change"])
    def escalate(self, request: HttpRequest, queryset) -> HttpResponse | None:
        actor = self._actor(request)
        if actor is None:
            return None
        form = TicketReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = self._each_ticket(
                request,
                queryset,
                lambda ticket: services.ticket_escalate(actor=actor, ticket=ticket, reason=reason),
                _("%(number)s was not escalated: %(reason)s"),
            )
            if done:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d ticket escalated: %(list)s.",
                        "%(count)d tickets escalated: %(list)s.",
                        len(done),
                    )
                    % {
                        "count": len(done),
                        "list": ", ".join(
                            f"{ticket.number} → {escalated.escalated_to.name}"
                            for ticket, escalated in done
                        ),
                    },
                )
            return None
        return self._action_page(
            request,
            queryset,
            form,
            action="escalate",
            title=_("Escalate tickets"),
            intro=_(
                "Each ticket goes one step up: to its group's supervisor, then to the "
                "department's manager. Say why; the reason is kept in the ticket's trail."
            ),
            submit=_("Escalate"),
        )

    @admin.action(description=_("Close selected tickets…"), permissions=["change"])
    def close(self, request: HttpRequest, queryset) -> HttpResponse | None:
        actor = self._actor(request)
        if actor is None:
            return None
        form = TicketReasonForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            done = self._each_ticket(
                request,
                queryset,
                lambda ticket: services.ticket_close(actor=actor, ticket=ticket, reason=reason),
                _("%(number)s was not closed: %(reason)s"),
            )
            if done:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d ticket closed: %(numbers)s.",
                        "%(count)d tickets closed: %(numbers)s.",
                        len(done),
                    )
                    % {"count": len(done), "numbers": ", ".join(t.number for t, _r in done)},
                )
            return None
        return self._action_page(
            request,
            queryset,
            form,
            action="close",
            title=_("Close tickets"),
            intro=_(
                "Closing ends the work on a ticket. Tickets not yet resolved may be closed by "
                "a lead only (spam, duplicates); say why."
            ),
            submit=_("Close"),
        )


# ── Customers ────────────────────────────────────────────────────────────────────────────


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


class SetupAdmin(ImportExportModelAdmin):
    import_formats = spreadsheets.IMPORT_FORMATS
    export_formats = spreadsheets.EXPORT_FORMATS


class TreeAdmin(SetupAdmin):
    list_display = ("name", "parent", "is_active")
    list_filter = (("parent", admin.RelatedOnlyFieldListFilter), "is_active")
    search_fields = ("name",)
    list_select_related = ("parent__parent",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = self.model.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Category)
class CategoryAdmin(TreeAdmin):
    pass


@admin.register(RootCause)
class RootCauseAdmin(TreeAdmin):
    pass


@admin.register(Tag)
class TagAdmin(SetupAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Shop)
class ShopAdmin(SetupAdmin):
    list_display = ("code", "name", "platform", "is_active")
    list_filter = ("platform", "is_active")
    search_fields = ("code", "name")


class MacroTeamFilter(admin.SimpleListFilter):
    title = _("team")
    parameter_name = "team"
    EVERYONE = "none"

    def lookups(self, request, model_admin):
        return [(self.EVERYONE, _("Every team"))] + [
            (team.pk, str(team)) for team in team_list_for(user=request.user)
        ]

    def queryset(self, request, queryset):
        if self.value() == self.EVERYONE:
            return queryset.filter(team__isnull=True)
        if self.value():
            return queryset.filter(team_id=self.value())
        return queryset


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """话术 of the user's teams, and everyone's (which only managers and the director edit)."""

    list_display = ("title", "team", "is_active")
    list_filter = (MacroTeamFilter, "is_active")
    search_fields = ("title", "body")
    list_select_related = ("team",)
    fields = ("title", "team", "body", "is_active")

    def get_queryset(self, request: HttpRequest):
        teams = Team.objects.filter(scope_for(request.user).teams_q())
        return (
            super()
            .get_queryset(request)
            .filter(Q(team__isnull=True) | Q(team__in=teams))
            .select_related("team")
        )

    @staticmethod
    def may_edit_global(request: HttpRequest) -> bool:
        actor = staff_of(request.user)
        if actor is None:
            return request.user.is_superuser
        return actor.role in (Role.MANAGER, Role.DIRECTOR)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "team" in form.base_fields and not self.may_edit_global(request):
            form.base_fields["team"].required = True
            form.base_fields["team"].help_text = ""
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = team_list_for(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.team_id is None and not self.may_edit_global(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.team_id is None and not self.may_edit_global(request):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PhoneReveal)
class PhoneRevealAdmin(admin.ModelAdmin):
    """Who saw a customer's full phone number: an audit list, never edited."""

    list_display = ("created_at", "customer", "staff", "ticket")
    search_fields = ("customer__name", "staff__name", "ticket__number")
    date_hierarchy = "created_at"
    list_select_related = ("customer", "staff", "ticket")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).filter(scope_for(request.user).q("staff"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
