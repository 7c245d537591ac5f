"""Training fixtures: the seeded catalogue and a session factory."""

import datetime

import pytest
from django.utils import timezone

from training import services
from training.models import Course


@pytest.fixture
def courses(db):
    """The catalogue the migrations seed, by name."""
    return {course.name: course for course in Course.objects.all()}


@pytest.fixture
def make_session(db):
    """``make_session(course, days=1, capacity=None)``: a planned session ``days`` from now."""

    def _make(course, *, days: float = 1, capacity: int | None = None, **extra):
        starts = timezone.now() + datetime.timedelta(days=days)
        return services.session_create(
            actor=None,
            course=course,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=3),
            capacity=capacity,
            **extra,
        )

    return _make
