"""Staff rosters (花名册) in and out of XLSX/CSV, with the Chinese headers HR works with.

The headers are part of the file format, so they stay Chinese whatever the UI language.
Imports go through the staff services: a row obeys the same rules as the admin form, and
a file with any bad row imports nothing.
"""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from staff import services
from staff.models import Staff, Team
from staff.selectors import staff_list_for

User = get_user_model()
SKILL_SEPARATORS = re.compile(r"[,，、;；/\s]+")
TRUE_WORDS = {"1", "true", "yes", "y", "是", "已通过", "通过", "√"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "未通过", "×"}


class ChoiceWidget(widgets.Widget):
    """A choice written as its label in either language, or as its stored value."""

    def __init__(self, choices: type[TextChoices]) -> None:
        super().__init__()
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return ""
        for choice in self.choices:
            names = {choice.value.lower()}
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    names.add(str(choice.label).lower())
            if text.lower() in names:
                return choice.value
        valid = "、".join(str(choice.label) for choice in self.choices)
        raise ValueError(
            _("“%(value)s” is not one of: %(valid)s.") % {"value": text, "valid": valid}
        )

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        with translation.override("zh-hans"):
            return str(self.choices(value).label)


class LookupWidget(widgets.ForeignKeyWidget):
    """A related record named by one of its fields; an unknown name is a row error."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                _("No %(model)s “%(value)s”.")
                % {"model": self.model._meta.verbose_name, "value": value}
            ) from None


class SkillsWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return [skill for skill in SKILL_SEPARATORS.split(str(value or "").strip()) if skill]

    def render(self, value, obj=None, **kwargs):
        return "、".join(value or [])


class YesNoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(_("Write 是 or 否."))

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


class DateWidget(widgets.DateWidget):
    """Written as 2026-11-23; read in the ways Chinese spreadsheets write dates."""

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")
        self.formats = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


class StaffResource(resources.ModelResource):
    employee_number = fields.Field(attribute="employee_number", column_name="工号")
    name = fields.Field(attribute="name", column_name="姓名")
    username = fields.Field(column_name="登录名", readonly=True)
    email = fields.Field(column_name="邮箱", readonly=True)
    mobile = fields.Field(attribute="mobile", column_name="手机")
    role = fields.Field(attribute="role", column_name="角色", widget=ChoiceWidget(Staff.Role))
    team = fields.Field(attribute="team", column_name="团队", widget=LookupWidget(Team, "name"))
    reports_to = fields.Field(
        attribute="reports_to",
        column_name="上级工号",
        widget=LookupWidget(Staff, "employee_number"),
    )
    specialisation = fields.Field(
        attribute="specialisation",
        column_name="专长",
        widget=ChoiceWidget(Staff.Specialisation),
    )
    skills = fields.Field(attribute="skills", column_name="技能", widget=SkillsWidget())
    hire_date = fields.Field(attribute="hire_date", column_name="入职日期", widget=DateWidget())
    status = fields.Field(attribute="status", column_name="状态", widget=ChoiceWidget(Staff.Status))
    confidentiality_signed_on = fields.Field(
        attribute="confidentiality_signed_on",
        column_name="保密协议签署日期",
        widget=DateWidget(),
    )
    onboarding_passed = fields.Field(
        attribute="onboarding_passed", column_name="入职考核通过", widget=YesNoWidget()
    )

    class Meta:
        model = Staff
        import_id_fields = ("employee_number",)
        fields = (
            "employee_number",
            "name",
            "username",
            "email",
            "mobile",
            "role",
            "team",
            "reports_to",
            "specialisation",
            "skills",
            "hire_date",
            "status",
            "confidentiality_signed_on",
            "onboarding_passed",
        )
        clean_model_instances = False
        skip_unchanged = False
        use_transactions = True

    def __init__(self, actor: Staff | None = None, user=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.actor = actor
        self.user = user
        self._seen: dict[tuple[str, str], int | None] = {}

    def get_queryset(self):
        if self.user is None:
            return Staff.objects.select_related("user", "team", "reports_to")
        return staff_list_for(user=self.user)

    def dehydrate_username(self, staff: Staff) -> str:
        return staff.user.username

    def dehydrate_email(self, staff: Staff) -> str:
        return staff.user.email

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        required = {"name": "姓名", "role": "角色", "hire_date": "入职日期"}
        username = str(row.get("登录名") or "").strip()
        if instance.pk is None:
            required["username"] = "登录名"
            if username and User.objects.filter(username=username).exists():
                errors["username"] = [_("This login name is already taken.")]
        for attribute, column in required.items():
            value = username if attribute == "username" else getattr(instance, attribute)
            if value in (None, "") and attribute not in errors:
                errors[attribute] = [_("%(column)s is required.") % {"column": column}]
        for attribute, value in (
            ("employee_number", instance.employee_number),
            ("username", username),
        ):
            if not value:
                continue
            earlier = self._seen.setdefault((attribute, value), kwargs.get("row_number"))
            if earlier != kwargs.get("row_number"):
                errors[attribute] = [
                    _("“%(value)s” already appears in line %(line)s of this file.")
                    % {"value": value, "line": earlier}
                ]
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        values = {field: getattr(instance, field) for field in services.STAFF_EDITABLE_FIELDS}
        if not values["status"]:
            if is_create:
                values["status"] = Staff.Status.PROBATION
            else:
                del values["status"]
        try:
            if is_create:
                staff = services.staff_create(
                    actor=self.actor,
                    username=str(row.get("登录名") or "").strip(),
                    email=str(row.get("邮箱") or "").strip(),
                    employee_number=instance.employee_number,
                    **values,
                )
                instance.pk = staff.pk
            else:
                services.staff_update(actor=self.actor, staff=instance, **values)
        except PermissionDenied as denied:
            raise ValidationError(str(denied)) from denied
