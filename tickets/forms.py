from django import forms
from django.utils.translation import gettext_lazy as _

from staff.models import Staff, Team
from tickets.models import Category, Customer, Message, RootCause, Shop, Tag, Ticket
from tickets.services import WORKING_STATUSES


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(upload, initial) for upload in files]


class ReplyForm(forms.Form):
    """The reply box: a public reply or an internal note, with attachments."""

    kind = forms.ChoiceField(
        choices=[(Message.Kind.REPLY, _("Public reply")), (Message.Kind.NOTE, _("Internal note"))],
        initial=Message.Kind.REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": _("Write to the customer…")}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    then_status = forms.ChoiceField(
        label=_("Then set status to"),
        required=False,
        choices=[("", _("(keep)"))]
        + [(s.value, s.label) for s in Ticket.Status if s in WORKING_STATUSES],
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=Staff.objects.none(), required=False
    )

    def __init__(self, *args, ticket: Ticket, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = Staff.objects.filter(
            team_id=ticket.team_id, status=Staff.Status.ON_POST, onboarding_passed=True
        ).order_by("employee_number")
        self.fields["assignee"].empty_label = _("— back to the queue —")


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in Ticket.Status if s in WORKING_STATUSES],
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput())


class OptionalReasonForm(forms.Form):
    """Escalate, close, reopen: the service says when a reason is needed; the form keeps
    it to the length the page allows."""

    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class TransferForm(ReasonForm):
    team = forms.ModelChoiceField(
        label=_("To group"),
        queryset=Team.objects.filter(kind=Team.Kind.GROUP)
        .select_related("parent")
        .order_by("path"),
    )


class ResolveForm(forms.Form):
    resolution_summary = forms.CharField(
        label=_("Resolution summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
    )
    root_cause = forms.ModelChoiceField(
        label=_("Root cause"),
        required=False,
        queryset=RootCause.objects.filter(is_active=True).select_related("parent"),
    )


class TicketDetailsForm(forms.Form):
    """Details an assignee or lead may change from the ticket page."""

    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices)
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"),
        required=False,
        queryset=Tag.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )


class TicketCreateForm(forms.Form):
    """A ticket opened by an agent (a phone call, a walk-in, a chat transcript)."""

    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Ticket.Channel.choices, initial=Ticket.Channel.PHONE
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, initial=Ticket.Priority.P3
    )
    team = forms.ModelChoiceField(label=_("Group"), queryset=Team.objects.none())
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.filter(merged_into__isnull=True),
        required=False,
        widget=forms.HiddenInput,
    )
    customer_name = forms.CharField(label=_("Customer name"), max_length=100, required=False)
    customer_phone = forms.CharField(label=_("Customer phone"), max_length=30, required=False)
    shop = forms.ModelChoiceField(
        label=_("Shop"), queryset=Shop.objects.filter(is_active=True), required=False
    )
    order_ref = forms.CharField(label=_("Order number"), max_length=64, required=False)
    complaint_reason = forms.CharField(
        label=_("Complaint reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    customer_demand = forms.CharField(
        label=_("Customer's demand"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", "—"), *Ticket.Severity.choices]
    )
    claim = forms.BooleanField(label=_("Assign to me"), required=False, initial=True)

    def __init__(self, *args, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("customer") and not (cleaned.get("customer_name") or "").strip():
            self.add_error(
                "customer_name", _("Name the customer (or open the ticket from their record).")
            )
        if (
            cleaned.get("type") == Ticket.Type.COMPLAINT
            and not (cleaned.get("complaint_reason") or "").strip()
        ):
            self.add_error("complaint_reason", _("A complaint needs its reason."))
        return cleaned


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into customer no."), min_value=1)
