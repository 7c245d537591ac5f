"""Recurring training, run by Celery beat: the quarterly refresher (每季度一次全员培训) planned
and everyone enrolled, reminders before a session, and alerts when a required course is
overdue or a certificate runs out.

Every function here is safe to run twice or at the same time as itself: the session of a
quarter is unique per course, reminders are stamped on rows locked with ``skip_locked``, and
alerts are raised under a lock on their course and are unique per person, course, kind and
due date."""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.models import Staff
from tickets.models import Notification, StatutoryDay
from tickets.services.notifications import notify
from training import services
from training.models import Certificate, Course, Enrolment, TrainingAlert, TrainingSession

logger = logging.getLogger(__name__)

LEFT = Staff.Status.LEFT
PASSING = (Enrolment.Grade.PASS, Enrolment.Grade.GOOD, Enrolment.Grade.EXCELLENT)

#: Day of the quarter's first month and hour (Asia/Shanghai) of the refresher session.
DEFAULT_REFRESHER_DAY = 15
DEFAULT_REFRESHER_HOUR = 14
#: Hours before a session its trainees are reminded.
DEFAULT_REMINDER_HOURS = 24
#: Days before a certificate expires that the person and their leader hear of it.
DEFAULT_CERTIFICATE_WARN_DAYS = 30


# ── The quarterly refresher ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: datetime.date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def key(self) -> str:
        """``2026-Q4``: what ``TrainingSession.quarter_key`` holds."""
        return f"{self.year}-Q{self.number}"

    @property
    def first_month(self) -> int:
        return 3 * (self.number - 1) + 1


def is_working_day(day: datetime.date, statutory: dict[datetime.date, str]) -> bool:
    """Monday to Friday unless the statutory calendar makes it a day off; a weekend day the
    calendar makes a working day (调休) counts."""
    kind = statutory.get(day)
    if kind is not None:
        return kind == StatutoryDay.Kind.WORKDAY
    return day.weekday() < 5


def refresher_day(quarter: Quarter, today: datetime.date) -> datetime.date:
    """The refresher's day: ``TRAINING_REFRESHER_DAY`` of the quarter's first month, or the
    day after ``today`` if that has gone by — moved on to the next working day."""
    wanted = getattr(settings, "TRAINING_REFRESHER_DAY", DEFAULT_REFRESHER_DAY)
    first = datetime.date(quarter.year, quarter.first_month, 1)
    next_month = (first + datetime.timedelta(days=32)).replace(day=1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    day = first.replace(day=min(max(int(wanted), 1), last_day))
    day = max(day, today + datetime.timedelta(days=1))
    statutory = dict(
        StatutoryDay.objects.filter(
            date__gte=day, date__lte=day + datetime.timedelta(days=31)
        ).values_list("date", "kind")
    )
    while not is_working_day(day, statutory):
        day += datetime.timedelta(days=1)
    return day


def _refresher_session(course: Course, quarter: Quarter, today: datetime.date):
    """The course's session of the quarter, made if missing. Returns (session, created)."""
    existing = TrainingSession.objects.filter(course=course, quarter_key=quarter.key).first()
    if existing is not None:
        return existing, False
    hour = int(getattr(settings, "TRAINING_REFRESHER_HOUR", DEFAULT_REFRESHER_HOUR))
    starts_at = datetime.datetime.combine(
        refresher_day(quarter, today),
        datetime.time(hour),
        tzinfo=timezone.get_default_timezone(),
    )
    hours = course.duration_hours or Decimal(3)
    try:
        with transaction.atomic():
            session = services.session_create(
                actor=None,
                course=course,
                title=_("%(course)s, %(year)s Q%(quarter)s")
                % {"course": course.name, "year": quarter.year, "quarter": quarter.number},
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=float(hours)),
                quarter_key=quarter.key,
            )
    except IntegrityError:  # another run made it first (refresher_once_per_quarter)
        return TrainingSession.objects.get(course=course, quarter_key=quarter.key), False
    return session, True


def refresher_plan(*, today: datetime.date | None = None) -> dict[str, int]:
    """For each active refresher course, make sure this quarter has its session and that
    everyone who has not left is enrolled in it (people hired since are added on the next
    run, while the session is still planned and not yet past). Each course in its own
    transaction, so one that cannot take enrolments does not hold back the others.
    Returns how many sessions were made and how many people were enrolled."""
    today = today or timezone.localdate()
    quarter = Quarter.of(today)
    counts = {"sessions": 0, "enrolled": 0}
    for course in Course.objects.filter(is_active=True, purpose=Course.Purpose.REFRESHER):
        try:
            with transaction.atomic():
                session, created = _refresher_session(course, quarter, today)
                counts["sessions"] += created
                if session.status != TrainingSession.Status.PLANNED:
                    continue
                if timezone.localdate(session.starts_at) < today:
                    continue
                everyone = Staff.objects.exclude(status=LEFT).exclude(enrolments__session=session)
                counts["enrolled"] += len(
                    services.enrol(actor=None, session=session, people=everyone)
                )
        except ValidationError:
            logger.warning("Refresher %s not planned for %s.", course, quarter.key, exc_info=True)
    return counts


# ── Onboarding for new hires ────────────────────────────────────────────────────────────


def _next_onboarding_start(today: datetime.date) -> datetime.datetime:
    """The next Monday's 09:00 (or the first working day after it)."""
    day = today + datetime.timedelta(days=7 - today.weekday())
    statutory = dict(
        StatutoryDay.objects.filter(
            date__gte=day, date__lte=day + datetime.timedelta(days=14)
        ).values_list("date", "kind")
    )
    while not is_working_day(day, statutory):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=timezone.get_default_timezone())


def onboarding_enrol(*, today: datetime.date | None = None) -> dict[str, int]:
    """New hires on probation who were never enrolled in onboarding join the next planned
    onboarding session with room; when there is none, one is made for the coming Monday,
    a working week of 09:00–18:00. (A failed exam's retake is the supervisor's call.)
    Runs under a lock on the course, so two runs at once make one session."""
    today = today or timezone.localdate()
    counts = {"sessions": 0, "enrolled": 0}
    with transaction.atomic():
        course = (
            Course.objects.select_for_update()
            .filter(is_active=True, purpose=Course.Purpose.ONBOARDING)
            .order_by("pk")
            .first()
        )
        if course is None:
            return counts
        waiting = list(
            Staff.objects.filter(status=Staff.Status.PROBATION, onboarding_passed=False)
            .exclude(enrolments__session__course=course)
            .order_by("hire_date", "employee_number")
        )
        if not waiting:
            return counts
        now = timezone.now()
        for session in TrainingSession.objects.filter(
            course=course, status=TrainingSession.Status.PLANNED, starts_at__gt=now
        ).order_by("starts_at"):
            room = len(waiting)
            if session.capacity is not None:
                room = max(session.capacity - session.enrolments.count(), 0)
            if room:
                added = services.enrol(actor=None, session=session, people=waiting[:room])
                counts["enrolled"] += len(added)
                waiting = waiting[room:]
            if not waiting:
                return counts
        starts_at = _next_onboarding_start(today)
        session = services.session_create(
            actor=None,
            course=course,
            title=_("%(course)s, week of %(date)s")
            % {"course": course.name, "date": f"{starts_at:%Y-%m-%d}"},
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(days=4, hours=9),
        )
        counts["sessions"] += 1
        counts["enrolled"] += len(services.enrol(actor=None, session=session, people=waiting))
    return counts


# ── Reminders before a session ──────────────────────────────────────────────────────────


@transaction.atomic
def reminders_send(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Remind each trainee of a planned session starting within ``TRAINING_REMINDER_HOURS``,
    once: the enrolment is stamped in the same transaction, and rows another run holds are
    skipped. Returns how many people were reminded."""
    now = now or timezone.now()
    hours = getattr(settings, "TRAINING_REMINDER_HOURS", DEFAULT_REMINDER_HOURS)
    due = list(
        Enrolment.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            reminded_at__isnull=True,
            session__status=TrainingSession.Status.PLANNED,
            session__starts_at__gt=now,
            session__starts_at__lte=now + datetime.timedelta(hours=hours),
        )
        .exclude(staff__status=LEFT)
        .exclude(attendance=Enrolment.Attendance.EXCUSED)
        .select_related("session")
        .order_by("session_id", "pk")
    )
    by_session: dict[int, tuple[TrainingSession, list[int]]] = {}
    for enrolment in due:
        by_session.setdefault(enrolment.session_id, (enrolment.session, []))[1].append(
            enrolment.staff_id
        )
    for session, trainees in by_session.values():
        notify(
            recipients=trainees, kind=Notification.Kind.TRAINING_REMINDER, text=_reminder(session)
        )
    Enrolment.objects.filter(pk__in=[enrolment.pk for enrolment in due]).update(reminded_at=now)
    return {"reminded": len(due)}


def _reminder(session: TrainingSession) -> str:
    values = {
        "title": session.title,
        "start": timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M"),
        "place": session.place,
    }
    if session.place:
        return _("Training %(title)s starts at %(start)s, %(place)s.") % values
    return _("Training %(title)s starts at %(start)s.") % values


# ── Overdue required courses and expiring certificates ──────────────────────────────────


def alerts_raise(*, today: datetime.date | None = None) -> dict[str, int]:
    """Raise, once each, the alerts of every active course: a required course not passed
    by ``required_within_days`` after the hire date, and a certificate expiring within
    ``TRAINING_CERTIFICATE_WARN_DAYS`` (or expired) with no newer one for the course. The
    person and their leader are notified. Each course is done in its own transaction
    holding a lock on the course row, so two runs at once take turns and the second finds
    the alerts the first raised. Returns how many alerts of each kind were raised."""
    today = today or timezone.localdate()
    counts = {TrainingAlert.Kind.REQUIRED_OVERDUE: 0, TrainingAlert.Kind.CERTIFICATE_EXPIRING: 0}
    for course_id in Course.objects.filter(is_active=True).values_list("pk", flat=True):
        with transaction.atomic():
            course = Course.objects.select_for_update().get(pk=course_id)
            if course.required_for_roles:
                counts[TrainingAlert.Kind.REQUIRED_OVERDUE] += _overdue_raise(course, today)
            if course.certificate_months:
                counts[TrainingAlert.Kind.CERTIFICATE_EXPIRING] += _expiring_raise(course, today)
    return {str(kind): count for kind, count in counts.items()}


def _overdue_raise(course: Course, today: datetime.date) -> int:
    days = datetime.timedelta(days=course.required_within_days)
    passed = Enrolment.objects.filter(
        staff=OuterRef("pk"), session__course=course, grade__in=PASSING
    )
    overdue = (
        Staff.objects.exclude(status=LEFT)
        .filter(role__in=course.required_for_roles, hire_date__lt=today - days)
        .exclude(Exists(passed))
    )
    if course.purpose == Course.Purpose.ONBOARDING:
        # people put on post without an enrolment (imported, or trained before the system)
        overdue = overdue.exclude(onboarding_passed=True)
    overdue = list(overdue.select_related("team__parent").order_by("employee_number"))
    return _alerts_create(
        course,
        TrainingAlert.Kind.REQUIRED_OVERDUE,
        [(person, person.hire_date + days) for person in overdue],
        lambda person, due_on: (
            _("%(name)s has not passed the required course %(course)s (due %(due)s).")
            % {"name": person.name, "course": course.name, "due": due_on.isoformat()}
        ),
    )


def _expiring_raise(course: Course, today: datetime.date) -> int:
    warn = datetime.timedelta(
        days=getattr(settings, "TRAINING_CERTIFICATE_WARN_DAYS", DEFAULT_CERTIFICATE_WARN_DAYS)
    )
    newer = Certificate.objects.filter(
        staff=OuterRef("staff"), course=course, expires_on__gt=OuterRef("expires_on")
    )
    expiring = list(
        Certificate.objects.filter(course=course, expires_on__lte=today + warn)
        .exclude(staff__status=LEFT)
        .exclude(Exists(newer))
        .select_related("staff__team__parent")
        .order_by("expires_on", "pk")
    )

    def text(person: Staff, due_on: datetime.date) -> str:
        values = {"name": person.name, "course": course.name, "date": due_on.isoformat()}
        if due_on < today:
            return _("The %(course)s certificate of %(name)s expired on %(date)s.") % values
        return _("The %(course)s certificate of %(name)s expires on %(date)s.") % values

    raised = _alerts_create(
        course,
        TrainingAlert.Kind.CERTIFICATE_EXPIRING,
        [(certificate.staff, certificate.expires_on) for certificate in expiring],
        text,
    )
    Certificate.objects.filter(
        pk__in=[c.pk for c in expiring], expiry_alerted_at__isnull=True
    ).update(expiry_alerted_at=timezone.now())
    return raised


def _alerts_create(
    course: Course,
    kind: str,
    due: list[tuple[Staff, datetime.date]],
    text: Callable[[Staff, datetime.date], str],
) -> int:
    """Alerts for the (person, due date) pairs not alerted yet, each notified to the person
    and their leader. The caller holds the course's lock."""
    if not due:
        return 0
    alerted = set(
        TrainingAlert.objects.filter(
            course=course, kind=kind, staff__in={person.pk for person, _due in due}
        ).values_list("staff_id", "due_on")
    )
    new: dict[tuple[int, datetime.date], Staff] = {}
    for person, due_on in due:
        if (person.pk, due_on) not in alerted:
            new.setdefault((person.pk, due_on), person)
    TrainingAlert.objects.bulk_create(
        [TrainingAlert(staff_id=pk, course=course, kind=kind, due_on=due_on) for pk, due_on in new]
    )
    notification_kind = {
        TrainingAlert.Kind.REQUIRED_OVERDUE: Notification.Kind.TRAINING_OVERDUE,
        TrainingAlert.Kind.CERTIFICATE_EXPIRING: Notification.Kind.CERTIFICATE_EXPIRING,
    }[kind]
    for (_pk, due_on), person in new.items():
        notify(
            recipients={person.pk, leader_of(person)},
            kind=notification_kind,
            text=text(person, due_on),
        )
    return len(new)


def leader_of(person: Staff) -> int | None:
    """Who hears of a person's training alerts besides them: their team's leader, or for
    the leader themselves, the leader of the department above. None without a team."""
    team = person.team
    if team is None:
        return None
    if team.leader_id and team.leader_id != person.pk:
        return team.leader_id
    parent = team.parent
    if parent is not None and parent.leader_id != person.pk:
        return parent.leader_id
    return None
