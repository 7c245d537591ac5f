from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from staff import services
from staff.models import Staff, Team

User = get_user_model()


class StaffAdminForm(forms.ModelForm):
    """Staff record form for the admin (an existing record; the login stays as it is)."""

    skills = forms.CharField(
        label=_("skills"),
        required=False,
        help_text=_("Separated by commas, e.g. complaints, chat, English."),
    )

    actor: Staff | None = None

    class Meta:
        model = Staff
        fields = ("employee_number", *services.STAFF_EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A view-only user's form has no fields: the admin shows the record read-only.
        if self.instance.pk and "employee_number" in self.fields:
            self.initial["skills"] = ", ".join(self.instance.skills)
            self.fields["employee_number"].disabled = True

    def clean_skills(self) -> list[str]:
        raw = self.cleaned_data.get("skills") or ""
        return [skill.strip() for skill in raw.replace("，", ",").split(",") if skill.strip()]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        staff = self.instance if self.instance.pk else None
        # Fields the actor may not edit are absent from the form: they keep their value.
        services.staff_validate(
            actor=self.actor,
            staff=staff,
            role=cleaned.get("role", getattr(staff, "role", None)),
            team=cleaned["team"] if "team" in cleaned else getattr(staff, "team", None),
            reports_to=cleaned["reports_to"]
            if "reports_to" in cleaned
            else getattr(staff, "reports_to", None),
            status=cleaned["status"],
        )
        return cleaned


class StaffAddForm(StaffAdminForm):
    """A new staff record and its login account (专人专号), opened together."""

    username = forms.CharField(label=_("login name"), max_length=150)
    email = forms.EmailField(label=_("email"), required=False)
    password = forms.CharField(
        label=_("initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to let the person set one later.")
        + " "
        + password_validators_help_text_html(),
    )

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if password:
            account = User(username=self.data.get("username", ""), email=self.data.get("email", ""))
            validate_password(password, account)
        return password


class TeamAdminForm(forms.ModelForm):
    actor: Staff | None = None

    class Meta:
        model = Team
        fields = ("name", "kind", "parent", "leader")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        team = self.instance if self.instance.pk else None
        try:
            services.team_permission_check(
                actor=self.actor, team=team, parent=cleaned.get("parent")
            )
        except PermissionDenied as denied:
            raise forms.ValidationError(str(denied)) from denied
        services.team_check(
            team=team, name=cleaned["name"], kind=cleaned["kind"], parent=cleaned.get("parent")
        )
        if team is not None:
            services.team_leader_check(team=team, leader=cleaned.get("leader"))
        elif cleaned.get("leader") is not None:
            self.add_error("leader", _("Save the team first, then choose its leader."))
        return cleaned


class OffboardingForm(forms.Form):
    """离职交接: what the admin asks before disabling someone's account."""

    left_on = forms.DateField(label=_("left on"), widget=forms.DateInput(attrs={"type": "date"}))
    accounts_returned = forms.CharField(
        label=_("accounts handed back"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: login, platform sub-accounts (千牛/京麦…), phone seat, email."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)
    notes = forms.CharField(
        label=_("hand-over notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def clean_accounts_returned(self) -> list[str]:
        lines = self.cleaned_data["accounts_returned"].splitlines()
        accounts = [line.strip() for line in lines if line.strip()]
        if not accounts:
            raise forms.ValidationError(_("List at least one account that was handed back."))
        return accounts
