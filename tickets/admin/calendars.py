"""Business calendars, the statutory calendar (with a due-time check) and SLA policies."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from csmanage import spreadsheets
from tickets.business_time import (
    NoWorkingTime,
    schedule_for,
    statutory_years_missing,
    statutory_years_to_check,
)
from tickets.models import BusinessCalendar, SlaPolicy, StatutoryDay, Ticket, WorkingInterval
from tickets.resources import StatutoryDayResource
from tickets.services.sla import sla_policy_changed


def warn_missing_statutory_years(request: HttpRequest) -> None:
    """On the calendar pages: say which years (this one, and the next from October) have no
    holiday notice on record yet."""
    for year in statutory_years_missing(statutory_years_to_check(timezone.localdate())):
        messages.warning(
            request,
            _(
                "No State Council holiday notice for %(year)d is on record: calendars that "
                "follow it count every weekday of %(year)d as a working day. Import the "
                "notice (日期, 类型 休/班, 名称) on the statutory calendar page."
            )
            % {"year": year},
        )


class EndTimeField(forms.TimeField):
    """Accepts 24:00 for an interval that ends at midnight."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() in ("24:00", "24:00:00"):
            return datetime.time(0, 0)
        return super().to_python(value)


class WorkingIntervalForm(forms.ModelForm):
    end = EndTimeField(label=_("until"), help_text=_("24:00 (or 00:00) for midnight."))

    class Meta:
        model = WorkingInterval
        fields = ("weekday", "start", "end")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end != datetime.time(0, 0) and end <= start:
            self.add_error("end", _("The interval must end after it starts."))
        return cleaned


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    form = WorkingIntervalForm
    extra = 1


class DueCheckForm(forms.Form):
    """ "start + N working minutes → due", to check a calendar by hand."""

    check_start = forms.DateTimeField(
        label=_("Start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    check_minutes = forms.FloatField(label=_("Working minutes"), min_value=0)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "is_24x7", "follows_statutory_calendar")
    search_fields = ("name",)
    inlines = [WorkingIntervalInline]
    change_form_template = "admin/tickets/businesscalendar/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        calendar = self.get_object(request, object_id)
        if calendar is not None and calendar.follows_statutory_calendar and request.method == "GET":
            warn_missing_statutory_years(request)
        form = DueCheckForm(request.GET if "check_start" in request.GET else None)
        extra_context["due_check_form"] = form
        if calendar is not None and form.is_bound and form.is_valid():
            schedule = schedule_for(calendar)
            start = form.cleaned_data["check_start"].astimezone(schedule.zone)
            try:
                due = schedule.add(start, form.cleaned_data["check_minutes"])
            except NoWorkingTime:
                extra_context["due_check_error"] = _("This calendar has no working time.")
            else:
                extra_context["due_check_result"] = due.astimezone(schedule.zone)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(StatutoryDay)
class StatutoryDayAdmin(ImportExportModelAdmin):
    """The State Council's notice, day by day: seeded from chinesecalendar for the years it
    covers; a new year's notice is imported (CSV/XLSX: 日期, 类型 休/班, 名称)."""

    resource_classes = [StatutoryDayResource]
    import_formats = spreadsheets.IMPORT_FORMATS
    export_formats = spreadsheets.EXPORT_FORMATS
    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = ("kind", "source", "name")
    search_fields = ("name",)
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            warn_missing_statutory_years(request)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("weekday"))
    def weekday(self, day: StatutoryDay) -> str:
        return WorkingInterval.Weekday(day.date.weekday()).label


class ChoiceListField(forms.MultipleChoiceField):
    """A JSON list of stored values, picked from the labelled choices (empty: any)."""

    widget = forms.CheckboxSelectMultiple


class SlaPolicyForm(forms.ModelForm):
    types = ChoiceListField(label=_("ticket types"), required=False, choices=Ticket.Type.choices)
    priorities = ChoiceListField(
        label=_("priorities"), required=False, choices=Ticket.Priority.choices
    )
    channels = ChoiceListField(label=_("channels"), required=False, choices=Ticket.Channel.choices)
    customer_tiers = forms.CharField(
        label=_("customer tiers"),
        required=False,
        help_text=_("Comma-separated, e.g. VIP, 金牌; empty for every customer."),
    )

    class Meta:
        model = SlaPolicy
        fields = (
            "name", "position", "is_active", "types", "priorities", "channels", "customer_tiers",
            "calendar", "first_response_minutes", "next_response_minutes", "resolution_minutes",
            "escalate_on_breach",
        )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["customer_tiers"] = ", ".join(self.instance.customer_tiers)

    def clean_customer_tiers(self) -> list[str]:
        raw = self.cleaned_data.get("customer_tiers") or ""
        return [tier.strip() for tier in raw.replace("，", ",").split(",") if tier.strip()]

    def clean(self):
        cleaned = super().clean()
        targets = ("first_response_minutes", "next_response_minutes", "resolution_minutes")
        if not any(cleaned.get(target) for target in targets):
            raise forms.ValidationError(_("Set at least one target."))
        return cleaned


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Ordered: the first active policy that matches a ticket applies."""

    form = SlaPolicyForm
    list_display = (
        "position", "name", "is_active", "conditions", "calendar", "first_response_minutes",
        "next_response_minutes", "resolution_minutes",
    )  # fmt: skip
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "calendar")
    search_fields = ("name",)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change:
            sla_policy_changed(policy=obj)

    def delete_model(self, request, obj) -> None:
        sla_policy_changed(policy=obj, removed=True)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for policy in queryset:
            sla_policy_changed(policy=policy, removed=True)
        super().delete_queryset(request, queryset)

    @admin.display(description=_("applies to"))
    def conditions(self, policy: SlaPolicy) -> str:
        parts = [
            "、".join(str(choices(value).label) for value in values)
            for values, choices in (
                (policy.types, Ticket.Type),
                (policy.priorities, Ticket.Priority),
                (policy.channels, Ticket.Channel),
            )
            if values
        ]
        if policy.customer_tiers:
            parts.append("、".join(policy.customer_tiers))
        return " · ".join(parts) or str(_("every ticket"))
