"""Staff and teams made through the services, so every test object obeys the invariants."""

import datetime

import factory

from staff import services
from staff.models import Staff, Team


class TeamFactory(factory.Factory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"团队{n}")
    kind = Team.Kind.DEPARTMENT
    parent = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.team_create(actor=None, **kwargs)


class GroupFactory(TeamFactory):
    name = factory.Sequence(lambda n: f"小组{n}")
    kind = Team.Kind.GROUP
    parent = factory.SubFactory(TeamFactory)


class StaffFactory(factory.Factory):
    class Meta:
        model = Staff

    username = factory.Sequence(lambda n: f"user{n}")
    employee_number = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    role = Staff.Role.SPECIALIST
    team = None
    hire_date = datetime.date(2025, 1, 6)
    status = Staff.Status.ON_POST
    onboarding_passed = True

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.staff_create(actor=None, **kwargs)
