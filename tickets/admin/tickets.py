"""Tickets in the admin: scoped lists, edits and bulk actions through the services."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from csmanage.admin import KeyListFilter, ScopedHistoryAdmin
from staff.models import Staff, Team
from staff.selectors import staff_list_for, staff_of, team_list_for
from tickets import services
from tickets.admin.common import (
    NO_STAFF_RECORD,
    TICKET_EDITABLE_FIELDS,
    TICKET_TAKERS,
    ReadOnlyInline,
    _assignable_staff,
    _reason,
)
from tickets.models import (
    Category,
    Message,
    RootCause,
    Ticket,
    TicketEvent,
)
from tickets.permissions import ensure_can_work
from tickets.selectors import ticket_list_for

Role = Staff.Role


class TicketGroupFilter(KeyListFilter):
    title = _("team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        groups = team_list_for(user=request.user).filter(kind=Team.Kind.GROUP)
        return [(team.pk, str(team)) for team in groups]

    def queryset(self, request, queryset):
        if (team_id := self.key()) is not None:
            return queryset.filter(team_id=team_id)
        return queryset


class TicketAssigneeFilter(KeyListFilter):
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
        if (assignee_id := self.key()) is not None:
            return queryset.filter(assignee_id=assignee_id)
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
