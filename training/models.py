"""Training (培训): the course catalogue, annual plans, sessions with enrolment, attendance,
feedback and assessments, certificates, and the flags raised when a retake fails."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Staff, Team

SCORE = {
    "max_digits": 5,
    "decimal_places": 1,
    "null": True,
    "blank": True,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class Course(models.Model):
    """课程: what is taught, how long it takes, and who must take it."""

    class Category(models.TextChoices):
        PRODUCT = "product", _("Product knowledge")
        SERVICE_SKILLS = "service_skills", _("Service skills")
        ETIQUETTE = "etiquette", _("Etiquette and attitude")
        TEAMWORK = "teamwork", _("Teamwork")
        COMPLIANCE = "compliance", _("Compliance and information security")
        SALES = "sales", _("Sales technique")

    class Purpose(models.TextChoices):
        REGULAR = "regular", _("Regular course")
        ONBOARDING = "onboarding", _("Onboarding programme")
        REFRESHER = "refresher", _("Quarterly refresher")

    name = models.CharField(_("name"), max_length=200, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.REGULAR
    )
    description = models.TextField(_("description"), blank=True)
    duration_hours = models.DecimalField(
        _("duration (hours)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5"))],
    )
    required_for_roles = models.JSONField(
        _("required for roles"),
        default=list,
        blank=True,
        help_text=_("Staff in these roles must pass this course."),
    )
    required_within_days = models.PositiveSmallIntegerField(
        _("required within (days of hire)"), default=30
    )
    certificate_months = models.PositiveSmallIntegerField(
        _("certificate valid (months)"),
        null=True,
        blank=True,
        help_text=_("Passing gives a certificate valid this long; empty: no certificate."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return self.name


class CourseMaterial(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="training/materials/%Y/%m/", blank=True)
    url = models.URLField(_("link"), blank=True)

    class Meta:
        verbose_name = _("course material")
        verbose_name_plural = _("course materials")
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url=""), name="material_file_or_link"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class GradeScale(models.Model):
    """Where the grades begin (seeded <60 不合格, 60 合格, 75 良好, 90 优秀) and how the
    assessment parts weigh into a session result (percentages summing to 100)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    pass_from = models.DecimalField(_("pass from"), max_digits=4, decimal_places=1)
    good_from = models.DecimalField(_("good from"), max_digits=4, decimal_places=1)
    excellent_from = models.DecimalField(_("excellent from"), max_digits=4, decimal_places=1)
    weight_classroom = models.PositiveSmallIntegerField(_("classroom weight %"), default=10)
    weight_homework = models.PositiveSmallIntegerField(_("homework weight %"), default=10)
    weight_case = models.PositiveSmallIntegerField(_("case analysis weight %"), default=20)
    weight_drill = models.PositiveSmallIntegerField(_("practical drill weight %"), default=20)
    weight_exam = models.PositiveSmallIntegerField(_("exam weight %"), default=40)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("grade scale")
        verbose_name_plural = _("grade scales")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scale"
            ),
            models.CheckConstraint(
                condition=Q(pass_from__lte=models.F("good_from"))
                & Q(good_from__lte=models.F("excellent_from"))
                & Q(excellent_from__lte=100),
                name="grade_scale_ascending",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingPlan(models.Model):
    """年度培训计划 of a department: goal, content, owner and budget, broken into sessions."""

    department = models.ForeignKey(
        Team,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        limit_choices_to={"kind": Team.Kind.DEPARTMENT},
        related_name="training_plans",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"))
    content = models.TextField(_("content"), blank=True)
    owner = models.ForeignKey(
        Staff, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2, default=0)
    planned_sessions = models.JSONField(
        _("sessions planned per quarter"),
        default=list,
        blank=True,
        help_text=_("Four numbers, Q1 to Q4."),
    )

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["-year", "department__name"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year", "title"], name="plan_once"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"

    def clean(self) -> None:
        planned = self.planned_sessions
        if (
            not isinstance(planned, list)
            or len(planned) > 4
            or not all(type(count) is int and count >= 0 for count in planned)
        ):
            raise ValidationError(
                {"planned_sessions": _("Up to four whole numbers, Q1 to Q4, none below zero.")}
            )


class TrainingSession(models.Model):
    """One sitting of a course: who teaches, when, where, how many may come."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("Internal lecture")
        EXTERNAL = "external", _("External course")
        DRILL = "drill", _("Practice drill (模拟训练)")
        SHADOWING = "shadowing", _("Shadowing (跟班学习)")
        CONTEST = "contest", _("Skills contest")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="sessions"
    )
    plan = models.ForeignKey(
        TrainingPlan,
        verbose_name=_("plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LECTURE)
    trainer = models.ForeignKey(
        Staff,
        verbose_name=_("trainer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions_taught",
    )
    external_trainer = models.CharField(_("external trainer"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    is_online = models.BooleanField(_("online"), default=False)
    capacity = models.PositiveSmallIntegerField(_("capacity"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    cost = models.DecimalField(_("cost (yuan)"), max_digits=10, decimal_places=2, default=0)
    quarter_key = models.CharField(
        max_length=7, blank=True, editable=False, help_text="YYYY-Qn of a refresher"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["course", "quarter_key"],
                condition=~Q(quarter_key=""),
                name="refresher_once_per_quarter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"


class Enrolment(models.Model):
    """A person in a session: attendance, their feedback on it, and their assessment. A retake
    is a second enrolment (attempt 2) pointing at the failed one."""

    class Attendance(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        PRESENT = "present", _("Present")
        LATE = "late", _("Late")
        ABSENT = "absent", _("Absent")
        EXCUSED = "excused", _("Excused")

    class Grade(models.TextChoices):
        FAIL = "fail", _("Fail (不合格)")
        PASS = "pass", _("Pass (合格)")
        GOOD = "good", _("Good (良好)")
        EXCELLENT = "excellent", _("Excellent (优秀)")

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="enrolments"
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    retake_of = models.OneToOneField(
        "self",
        verbose_name=_("retake of"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="retake",
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.ENROLLED
    )
    feedback_score = models.PositiveSmallIntegerField(
        _("feedback (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback_comment = models.TextField(_("feedback comment"), blank=True)
    pre_score = models.DecimalField(_("pre-test"), **SCORE)
    classroom = models.DecimalField(_("classroom performance"), **SCORE)
    homework = models.DecimalField(_("homework"), **SCORE)
    case_analysis = models.DecimalField(_("case analysis"), **SCORE)
    drill = models.DecimalField(_("practical drill"), **SCORE)
    exam = models.DecimalField(_("exam"), **SCORE)
    result = models.DecimalField(_("result"), **SCORE)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices, blank=True)
    assessed_at = models.DateTimeField(_("assessed"), null=True, blank=True)
    assessed_by = models.ForeignKey(
        Staff,
        verbose_name=_("assessed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    enrolled_at = models.DateTimeField(_("enrolled"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["session__starts_at", "staff__employee_number"]
        constraints = [
            models.UniqueConstraint(fields=["session", "staff"], name="enrolled_once"),
            models.CheckConstraint(
                condition=Q(attempt=1, retake_of__isnull=True)
                | Q(attempt=2, retake_of__isnull=False),
                name="retake_is_attempt_two",
            ),
        ]
        indexes = [models.Index(fields=["staff", "grade"], name="enrolment_staff_grade")]

    def __str__(self) -> str:
        return f"{self.staff} @ {self.session}"

    @property
    def passed(self) -> bool:
        return self.grade in (self.Grade.PASS, self.Grade.GOOD, self.Grade.EXCELLENT)


class Certificate(models.Model):
    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="certificates"
    )
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT)
    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="certificate"
    )
    issued_on = models.DateField(_("issued"))
    expires_on = models.DateField(_("expires"), db_index=True)
    expiry_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on"]

    def __str__(self) -> str:
        return f"{self.course} · {self.staff}"


class RetrainingFlag(models.Model):
    """Failed the retake: retrain or reassign, for the supervisor and manager to decide."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        RETRAIN = "retrain", _("Retrain")
        REASSIGN = "reassign", _("Reassign")

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="+"
    )
    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.CASCADE, related_name="retraining_flag"
    )
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("flagged"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("retraining flag")
        verbose_name_plural = _("retraining flags")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.staff}: {self.course}"


class TrainingAlert(models.Model):
    """A required course overdue or a certificate running out, raised once per person,
    course and kind (the unique constraint keeps a re-run from alerting twice)."""

    class Kind(models.TextChoices):
        REQUIRED_OVERDUE = "required_overdue", _("Required course overdue")
        CERTIFICATE_EXPIRING = "certificate_expiring", _("Certificate expiring")

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    due_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training alert")
        verbose_name_plural = _("training alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "course", "kind", "due_on"], name="training_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.staff} · {self.course}"
