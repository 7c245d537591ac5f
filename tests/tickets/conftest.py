"""Fixtures of the tickets tests."""

from importlib import import_module

import pytest
from django.apps import apps

from tickets.models import SlaPolicy


@pytest.fixture
def seeded_policies(db):
    """The migrations' default calendars and SLA policies (recreated if a transactional test
    flushed them)."""
    if not SlaPolicy.objects.exists():
        import_module("tickets.migrations.0005_default_calendars").seed(apps, None)
        import_module("tickets.migrations.0007_default_sla_policies").seed(apps, None)
        import_module("tickets.migrations.0017_escalate_on_breach").complaints_escalate(apps, None)
    return {policy.name: policy for policy in SlaPolicy.objects.all()}
