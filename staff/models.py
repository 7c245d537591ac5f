"""Organisation and people: teams (部门 → 组) and staff records (专人专号)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Team(models.Model):
    """A node of the organisation tree: a department (部门) or a group (组) inside one."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Department")
        GROUP = "group", _("Group")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    leader = models.ForeignKey(
        "Staff",
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    path = models.CharField(
        _("tree path"),
        max_length=255,
        db_index=True,
        editable=False,
        help_text=_("Ids from the root down, e.g. /1/4/; kept by the team services."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="department") | Q(parent__isnull=False),
                name="team_group_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A person in the department, one per login account (专人专号)."""

    class Role(models.TextChoices):
        DIRECTOR = "director", _("Director")
        MANAGER = "manager", _("Manager")
        SUPERVISOR = "supervisor", _("Supervisor")
        SPECIALIST = "specialist", _("Specialist")
        QA_INSPECTOR = "qa_inspector", _("QA inspector")
        HR = "hr", _("HR")

    class Specialisation(models.TextChoices):
        PRESALES = "presales", _("Pre-sales")
        AFTERSALES = "aftersales", _("After-sales")
        COMPLAINTS = "complaints", _("Complaints")
        PHONE = "phone", _("Phone")
        ONLINE_CHAT = "online_chat", _("Online chat")

    class Status(models.TextChoices):
        PROBATION = "probation", _("Probation")
        ON_POST = "on_post", _("On post")
        ON_LEAVE = "on_leave", _("On leave")
        LEFT = "left", _("Left")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        on_delete=models.PROTECT,
        related_name="staff",
    )
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, db_index=True)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    specialisation = models.CharField(
        _("specialisation"), max_length=20, choices=Specialisation.choices, blank=True
    )
    skills = models.JSONField(
        _("skills"),
        default=list,
        blank=True,
        help_text=_("Skills and languages, e.g. complaints, chat, English."),
    )
    mobile = models.CharField(_("mobile phone"), max_length=20, blank=True)
    hire_date = models.DateField(_("hire date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROBATION, db_index=True
    )
    confidentiality_signed_on = models.DateField(
        _("confidentiality agreement signed on"), null=True, blank=True
    )
    onboarding_passed = models.BooleanField(_("onboarding passed"), default=False)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["employee_number"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reports_to=models.F("pk")), name="staff_not_own_manager"
            ),
            models.CheckConstraint(
                condition=Q(status="left", left_on__isnull=False) | ~Q(status="left"),
                name="staff_left_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["manager", "supervisor"]) | Q(team__isnull=False),
                name="staff_leaders_have_team",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_number})"

    @property
    def is_active(self) -> bool:
        return self.status != self.Status.LEFT

    @property
    def can_take_tickets(self) -> bool:
        """On post (在岗): onboarding passed, not on leave, not gone."""
        return self.status == self.Status.ON_POST and self.onboarding_passed


class OffboardingRecord(models.Model):
    """离职交接: when someone left, who processed it, and which accounts came back."""

    staff = models.OneToOneField(
        Staff, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="offboarding"
    )
    left_on = models.DateField(_("left on"))
    processed_by = models.ForeignKey(
        Staff,
        verbose_name=_("processed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accounts_returned = models.JSONField(
        _("accounts handed back"),
        default=list,
        help_text=_("Work accounts handed back: login, platform sub-accounts, phone seat…"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    notes = models.TextField(_("hand-over notes"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offboarding record")
        verbose_name_plural = _("offboarding records")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.staff} — {self.left_on}"
