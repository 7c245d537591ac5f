"""Staff pages and admin given what no form of theirs sends: answered, never a 500."""

import pytest
from django.urls import reverse

from staff.models import Staff


@pytest.mark.parametrize("team", ["²", "99999999999999999999", "abc"])
def test_staff_list_ignores_a_team_that_is_no_key(org, login, team):
    response = login(org.hr).get(reverse("staff:list"), {"team": team})

    assert response.status_code == 200
    assert response.context["page"].paginator.count == Staff.objects.count()


@pytest.mark.parametrize("team", ["²", "99999999999999999999"])
def test_staff_admin_team_filter_that_is_no_key_reloads_the_list_unfiltered(org, login, team):
    url = reverse("admin:staff_staff_changelist")

    response = login(org.hr).get(url, {"team": team})

    assert response.status_code == 302
    assert response.url == f"{url}?e=1"


def test_a_qa_inspector_sees_their_own_record_read_only_in_the_admin(org, login):
    response = login(org.qa).get(reverse("admin:staff_staff_change", args=[org.qa.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert org.qa.employee_number in page
    assert 'name="employee_number"' not in page
