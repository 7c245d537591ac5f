"""SLA policies: ordered, first match wins, defaults from the seeded 客服管理制度."""

import pytest
from django.urls import reverse

from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import BusinessCalendar, SlaPolicy
from tickets.selectors import sla_policy_for


@pytest.mark.parametrize(
    ("ticket", "policy", "first", "resolution", "calendar"),
    [
        (
            {"type": "complaint", "channel": "phone", "priority": "P3"},
            "投诉处理",
            60,
            1620,
            "标准工作时间",
        ),
        (
            {"type": "complaint", "channel": "chat", "priority": "P1"},
            "投诉处理",
            60,
            1620,
            "标准工作时间",
        ),
        (
            {"type": "presales", "channel": "chat", "priority": "P3"},
            "在线客服",
            1,
            2880,
            "全天 24×7",
        ),
        (
            {"type": "logistics", "channel": "im", "priority": "P1"},
            "在线客服",
            1,
            2880,
            "全天 24×7",
        ),
        (
            {"type": "aftersales", "channel": "phone", "priority": "P1"},
            "紧急工单",
            30,
            540,
            "标准工作时间",
        ),
        (
            {"type": "suggestion", "channel": "email", "priority": "P4"},
            "默认",
            240,
            2700,
            "标准工作时间",
        ),
    ],
)
def test_seeded_policies_follow_the_service_rules(
    org, seeded_policies, ticket, policy, first, resolution, calendar
):
    matched = sla_policy_for(TicketFactory(team=org.presales1, **ticket))

    assert (matched.name, matched.first_response_minutes, matched.resolution_minutes) == (
        policy,
        first,
        resolution,
    )
    assert matched.calendar.name == calendar


def test_first_active_match_wins_and_tiers_count(org, seeded_policies):
    vip = SlaPolicy.objects.create(
        name="VIP 客户",
        position=5,
        customer_tiers=["VIP"],
        calendar=BusinessCalendar.objects.get(name="全天 24×7"),
        first_response_minutes=15,
    )
    vip_ticket = TicketFactory(
        team=org.presales1, type="complaint", customer=CustomerFactory(tier="VIP")
    )
    plain_ticket = TicketFactory(team=org.presales1, type="complaint")

    assert sla_policy_for(vip_ticket) == vip
    assert sla_policy_for(plain_ticket).name == "投诉处理"

    vip.is_active = False
    vip.save()
    assert sla_policy_for(vip_ticket).name == "投诉处理"


def test_no_policy_at_all_means_no_targets(org, seeded_policies):
    SlaPolicy.objects.all().delete()

    assert sla_policy_for(TicketFactory(team=org.presales1)) is None


def test_policy_admin_lists_conditions_and_refuses_a_policy_without_targets(
    org, login, seeded_policies
):
    client = login(org.director)

    listing = client.get(reverse("admin:tickets_slapolicy_changelist"))
    refused = client.post(
        reverse("admin:tickets_slapolicy_add"),
        {
            "name": "空",
            "position": "50",
            "is_active": "on",
            "types": ["complaint"],
            "calendar": seeded_policies["默认"].calendar_id,
        },
    )

    assert "投诉" in listing.content.decode()
    assert refused.status_code == 200
    assert not SlaPolicy.objects.filter(name="空").exists()
