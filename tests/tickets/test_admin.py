"""Ticket and customer admin: scoped lists, bulk actions through the services with every
refusal reported, edits that show service refusals on the form and write nothing."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.tickets.factories import (
    CategoryFactory,
    CustomerFactory,
    MacroFactory,
    ShopFactory,
    TicketFactory,
)
from tickets import services
from tickets.admin.tickets import TicketAssigneeFilter
from tickets.models import Customer, Macro, PhoneReveal, Tag, Ticket, TicketEvent

TICKETS = reverse("admin:tickets_ticket_changelist")
CUSTOMERS = reverse("admin:tickets_customer_changelist")
MACROS = reverse("admin:tickets_macro_changelist")
REVEALS = reverse("admin:tickets_phonereveal_changelist")


@pytest.fixture(autouse=True)
def _english(client):
    """Service messages are asserted in English, whatever the zh-hans catalogue holds."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def tickets(org):
    """One ticket in each group: 售前一组, 售前二组, 投诉组."""

    class Tickets:
        presales1 = TicketFactory(team=org.presales1, subject="物流一直没更新")
        presales2 = TicketFactory(team=org.presales2, subject="发票开错")
        complaints = TicketFactory(team=org.complaints, subject="客服态度差")

    return Tickets


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def listed(response) -> set[str]:
    return {ticket.number for ticket in response.context["cl"].result_list}


def act(client, action: str, objects, url: str = TICKETS, **form):
    data = {"action": action, "_selected_action": [obj.pk for obj in objects], **form}
    return client.post(url, data)


def ticket_form(ticket: Ticket, **overrides) -> dict:
    data = {
        "subject": ticket.subject,
        "priority": ticket.priority,
        "type": ticket.type,
        "category": "",
        "root_cause": "",
        "tags": [],
        "complaint_reason": "",
        "customer_demand": "",
        "severity": "",
        "responsible_department": "",
        "remedy": "",
        # The read-only inlines still post their management forms.
        "messages-TOTAL_FORMS": "0",
        "messages-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


# ── Ticket changelist ──


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("director", {"presales1", "presales2", "complaints"}),
        ("manager", {"presales1", "presales2"}),
        ("supervisor", {"presales1"}),
    ],
)
def test_ticket_changelist_is_scoped_to_the_role(org, login, tickets, who, sees):
    response = login(getattr(org, who)).get(TICKETS)

    assert response.status_code == 200
    assert listed(response) == {getattr(tickets, group).number for group in sees}


def test_specialist_has_no_admin_access(org, login, tickets):
    response = login(org.agent).get(TICKETS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_ticket_changelist_query_count_does_not_grow_with_rows(
    org, login, django_assert_max_num_queries
):
    people = [org.agent, org.agent2, None]
    for n in range(30):
        ticket = TicketFactory(team=org.presales1)
        if people[n % 3] is not None:
            services.ticket_assign(actor=org.supervisor, ticket=ticket, assignee=people[n % 3])
    client = login(org.director)

    with django_assert_max_num_queries(13):
        response = client.get(TICKETS)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 30


def test_ticket_changelist_filters_by_scoped_assignee_and_searches_customer_name(
    org, login, tickets
):
    services.ticket_assign(actor=org.supervisor, ticket=tickets.presales1, assignee=org.agent)
    client = login(org.supervisor)

    by_agent = client.get(TICKETS, {"assignee": org.agent.pk})
    unassigned = client.get(TICKETS, {"assignee": "none"})
    by_name = client.get(TICKETS, {"q": tickets.presales1.customer.name})

    assert listed(by_agent) == {tickets.presales1.number}
    assert listed(unassigned) == set()
    assert listed(by_name) == {tickets.presales1.number}
    (assignee_filter,) = (
        spec
        for spec in by_agent.context["cl"].filter_specs
        if isinstance(spec, TicketAssigneeFilter)
    )
    assignee_choices = [str(label) for _value, label in assignee_filter.lookup_choices]
    assert assignee_choices == ["Unassigned", "李主管", "张三", "李四"]


def test_ticket_admin_offers_no_add_and_no_delete(org, login, tickets):
    client = login(org.director)

    add = client.get(reverse("admin:tickets_ticket_add"))
    delete = client.get(reverse("admin:tickets_ticket_delete", args=[tickets.presales1.pk]))

    actions = dict(client.get(TICKETS).context["action_form"].fields["action"].choices)
    assert (add.status_code, delete.status_code) == (403, 403)
    assert set(actions) == {"", "assign_to", "auto_assign", "escalate", "close"}


# ── Bulk actions ──


def test_bulk_assign_asks_for_the_assignee_then_reports_assigned_and_refused(org, login, tickets):
    client = login(org.manager)
    selected = [tickets.presales1, tickets.presales2]

    page = act(client, "assign_to", selected)
    done = act(client, "assign_to", selected, confirm="Assign", assignee=org.agent.pk)

    assert page.status_code == 200
    assert [t.number for t in page.context["queryset"]] == sorted(t.number for t in selected)
    assert org.agent in page.context["form"].fields["assignee"].queryset
    assert org.agent_b not in page.context["form"].fields["assignee"].queryset
    assert done.status_code == 302
    assert flashed(done) == [
        f"1 ticket assigned to 张三: {tickets.presales1.number}.",
        f"{tickets.presales2.number} was not assigned: 张三 is not in 售前二组.",
    ]
    assigned = dict(Ticket.objects.values_list("number", "assignee__name"))
    assert assigned[tickets.presales1.number] == "张三"
    assert assigned[tickets.presales2.number] is None
    assert not tickets.presales2.events.filter(kind=TicketEvent.Kind.ASSIGNED).exists()


def test_auto_assign_gives_unassigned_tickets_to_the_group_and_skips_assigned_ones(
    org, login, tickets
):
    taken = TicketFactory(team=org.presales1)
    services.ticket_assign(actor=org.supervisor, ticket=taken, assignee=org.agent2)

    response = act(login(org.supervisor), "auto_assign", [tickets.presales1, taken])

    assert flashed(response) == [
        f"{taken.number} was skipped: it is already assigned or no longer in work.",
        f"1 ticket auto-assigned: {tickets.presales1.number} → 张三.",
    ]
    tickets.presales1.refresh_from_db()
    assert tickets.presales1.assignee == org.agent
    assert tickets.presales1.events.get(kind=TicketEvent.Kind.ASSIGNED).data["auto"] is True


def test_escalate_requires_a_reason_and_writes_nothing_without_one(org, login, tickets):
    response = act(login(org.supervisor), "escalate", [tickets.presales1], confirm="1", reason="")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    tickets.presales1.refresh_from_db()
    assert (tickets.presales1.escalation_level, tickets.presales1.escalated_to) == (0, None)
    assert not tickets.presales1.events.filter(kind=TicketEvent.Kind.ESCALATED).exists()


def test_escalate_moves_the_ticket_up_to_the_department_manager(org, login, tickets):
    response = act(
        login(org.supervisor),
        "escalate",
        [tickets.presales1],
        confirm="1",
        reason="顾客要求经理回电",
    )

    assert flashed(response) == [f"1 ticket escalated: {tickets.presales1.number} → 王经理."]
    tickets.presales1.refresh_from_db()
    assert (tickets.presales1.escalation_level, tickets.presales1.escalated_to) == (
        2,
        org.manager,
    )
    event = tickets.presales1.events.get(kind=TicketEvent.Kind.ESCALATED)
    assert (event.actor, event.data["reason"]) == (org.supervisor, "顾客要求经理回电")


def test_close_closes_open_tickets_and_reports_an_already_closed_one(org, login, tickets):
    closed = TicketFactory(team=org.presales1)
    services.ticket_close(actor=org.supervisor, ticket=closed, reason="重复工单")
    client = login(org.supervisor)

    page = act(client, "close", [tickets.presales1, closed])
    done = act(
        client, "close", [tickets.presales1, closed], confirm="1", reason="顾客已在电话中解决"
    )

    assert page.status_code == 200
    assert page.context["form"].fields["reason"].required is True
    assert flashed(done) == [
        f"{closed.number} was not closed: A ticket that is Closed cannot become Closed.",
        f"1 ticket closed: {tickets.presales1.number}.",
    ]
    tickets.presales1.refresh_from_db()
    assert tickets.presales1.status == Ticket.Status.CLOSED
    assert tickets.presales1.events.get(kind=TicketEvent.Kind.CLOSED).data == {
        "reason": "顾客已在电话中解决"
    }
    assert closed.events.filter(kind=TicketEvent.Kind.CLOSED).count() == 1


# ── Ticket change form ──


def test_supervisor_corrects_details_through_the_service(org, login, tickets):
    urgent = Tag.objects.create(name="加急")
    url = reverse("admin:tickets_ticket_change", args=[tickets.presales1.pk])

    response = login(org.supervisor).post(
        url,
        ticket_form(
            tickets.presales1, priority="P1", tags=[urgent.pk], channel="phone", status="closed"
        ),
    )

    assert response.status_code == 302
    tickets.presales1.refresh_from_db()
    assert (tickets.presales1.priority, tickets.presales1.channel, tickets.presales1.status) == (
        "P1",
        "chat",
        "new",
    )
    assert list(tickets.presales1.tags.values_list("name", flat=True)) == ["加急"]
    event = tickets.presales1.events.get(kind=TicketEvent.Kind.UPDATED)
    assert (event.actor, event.data["changes"]) == (
        org.supervisor,
        {"priority": ["P3", "P1"], "tags": ["", "加急"]},
    )


def test_refused_ticket_edit_shows_a_form_error_and_writes_nothing(client, tickets):
    """The IT account made with createsuperuser sees every ticket but is nobody on staff."""
    root = get_user_model().objects.create_superuser("it-root", "it@example.cn", "x-Pass-2026")
    client.force_login(root)
    url = reverse("admin:tickets_ticket_change", args=[tickets.presales1.pk])
    history_before = tickets.presales1.history.count()

    response = client.post(url, ticket_form(tickets.presales1, subject="改掉的标题"))

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [
        "This login has no staff record; ticket and customer work is recorded against a staff "
        "member."
    ]
    tickets.presales1.refresh_from_db()
    assert tickets.presales1.subject == "物流一直没更新"
    assert tickets.presales1.history.count() == history_before
    assert not tickets.presales1.events.filter(kind=TicketEvent.Kind.UPDATED).exists()


def test_change_page_shows_domain_fields_read_only_and_the_trail(org, login, tickets):
    url = reverse("admin:tickets_ticket_change", args=[tickets.presales1.pk])

    response = login(org.supervisor).get(url)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.fields) == {
        "subject",
        "priority",
        "type",
        "category",
        "root_cause",
        "tags",
        "complaint_reason",
        "customer_demand",
        "severity",
        "responsible_department",
        "remedy",
    }
    inlines = {
        formset.formset.prefix: formset for formset in response.context["inline_admin_formsets"]
    }
    assert set(inlines) == {"messages", "events"}
    assert [row.kind for row in inlines["events"].formset.queryset] == ["created"]


def test_history_of_a_ticket_out_of_scope_is_not_found(org, login, tickets):
    client = login(org.supervisor)
    other = tickets.complaints
    version = other.history.latest("history_date").history_id

    own = client.get(reverse("admin:tickets_ticket_history", args=[tickets.presales1.pk]))
    history = client.get(reverse("admin:tickets_ticket_history", args=[other.pk]))
    snapshot = client.get(reverse("admin:tickets_ticket_simple_history", args=[other.pk, version]))

    assert own.status_code == 200
    assert (history.status_code, snapshot.status_code) == (404, 404)


# ── Customers ──


def test_customer_search_finds_a_phone_written_another_way(org, login):
    wanted = CustomerFactory(name="王女士", phones=["13812345759"])
    CustomerFactory(name="刘先生", phones=["13900001111"])
    client = login(org.supervisor)

    full = client.get(CUSTOMERS, {"q": "+86 138-1234-5759"})
    ending = client.get(CUSTOMERS, {"q": "5759"})

    assert [c.pk for c in full.context["cl"].result_list] == [wanted.pk]
    assert [c.pk for c in ending.context["cl"].result_list] == [wanted.pk]


def test_customer_list_masks_phones_and_flags_likely_duplicates(org, login):
    CustomerFactory(name="王女士", phones=["13812345759"])
    CustomerFactory(name="王小姐", phones=["138 1234 5759", "02161234567"])
    CustomerFactory(name="刘先生", phones=["13900001111"])

    response = login(org.supervisor).get(CUSTOMERS)

    page = response.content.decode()
    assert "13812345759" not in page
    assert "138****5759" in page
    rows = {c.name: c.likely_duplicate for c in response.context["cl"].result_list}
    assert rows == {"王女士": True, "王小姐": True, "刘先生": False}


def test_customer_added_in_admin_goes_through_the_service(org, login):
    vip = Tag.objects.create(name="VIP")
    data = {
        "name": "陈先生",
        "email": "",
        "company": "某某贸易",
        "industry": "",
        "tier": "gold",
        "tags": [vip.pk],
        "notes": "",
        "phones": "+86 138 1234 5759\n021-6123-4567，13812345759",
        "accounts-TOTAL_FORMS": "0",
        "accounts-INITIAL_FORMS": "0",
    }

    response = login(org.supervisor).post(reverse("admin:tickets_customer_add"), data)

    assert response.status_code == 302
    customer = Customer.objects.get(name="陈先生")
    assert sorted(customer.phones.values_list("normalised", flat=True)) == [
        "02161234567",
        "13812345759",
    ]
    assert list(customer.tags.all()) == [vip]


def test_customer_form_refuses_a_bad_number_and_writes_nothing(org, login):
    customer = CustomerFactory(name="陈先生", phones=["13812345759"])
    url = reverse("admin:tickets_customer_change", args=[customer.pk])
    data = {
        "name": "陈先生改",
        "email": "",
        "company": "",
        "industry": "",
        "tier": "",
        "notes": "",
        "phones": "12a",
        "accounts-TOTAL_FORMS": "0",
        "accounts-INITIAL_FORMS": "0",
    }

    response = login(org.supervisor).post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phones"] == ["“12a” is not a phone number."]
    customer.refresh_from_db()
    assert customer.name == "陈先生"
    assert list(customer.phones.values_list("number", flat=True)) == ["13812345759"]


def test_customer_change_removes_masked_numbers_and_adds_new_ones(org, login):
    customer = CustomerFactory(name="陈先生", phones=["13812345759", "13900001111"])
    old = customer.phones.get(normalised="13900001111")
    url = reverse("admin:tickets_customer_change", args=[customer.pk])
    client = login(org.supervisor)

    page = client.get(url)
    response = client.post(
        url,
        {
            "name": "陈先生",
            "email": "",
            "company": "",
            "industry": "",
            "tier": "",
            "notes": "",
            "remove_phones": [old.pk],
            "phones": "137 0000 2222",
            "accounts-TOTAL_FORMS": "0",
            "accounts-INITIAL_FORMS": "0",
        },
    )

    assert "13812345759" not in page.content.decode()
    assert page.context["adminform"].form.fields["remove_phones"].choices == [
        (str(customer.phones.get(normalised="13812345759").pk), "138****5759"),
        (str(old.pk), "139****1111"),
    ]
    assert response.status_code == 302
    assert sorted(customer.phones.values_list("normalised", flat=True)) == [
        "13700002222",
        "13812345759",
    ]


def test_merge_two_customers_keeps_the_chosen_one(org, login):
    keep = CustomerFactory(name="王女士", phones=["13812345759"])
    away = CustomerFactory(name="王小姐", phones=["138 1234 5759", "13700002222"])
    ticket = TicketFactory(team=org.presales1, customer=away)
    client = login(org.supervisor)

    page = act(client, "merge", [keep, away], url=CUSTOMERS)
    response = act(client, "merge", [keep, away], url=CUSTOMERS, confirm="1", target=keep.pk)

    assert page.status_code == 200
    assert "13812345759" not in page.content.decode()
    assert flashed(response) == ["1 customer merged into 王女士: 王小姐."]
    away.refresh_from_db()
    ticket.refresh_from_db()
    assert (away.merged_into, ticket.customer) == (keep, keep)
    assert sorted(keep.phones.values_list("normalised", flat=True)) == [
        "13700002222",
        "13812345759",
    ]


def test_merge_of_one_customer_asks_for_the_target_number(org, login):
    away = CustomerFactory(name="王小姐")
    client = login(org.supervisor)

    itself = act(client, "merge", [away], url=CUSTOMERS, confirm="1", target=away.pk)
    unknown = act(client, "merge", [away], url=CUSTOMERS, confirm="1", target=999999)

    assert itself.context["form"].non_field_errors() == [
        "Choose a customer other than the ones merged."
    ]
    assert "target" in unknown.context["form"].errors
    away.refresh_from_db()
    assert away.merged_into is None


# ── Macros and phone reveals ──


def test_supervisor_sees_own_group_and_global_macros_and_cannot_edit_global_ones(org, login):
    own = MacroFactory(title="售前一组欢迎语", team=org.presales1)
    MacroFactory(title="售前二组欢迎语", team=org.presales2)
    everyone = MacroFactory(title="通用结束语", team=None)
    client = login(org.supervisor)

    response = client.get(MACROS)
    edit_global = client.post(
        reverse("admin:tickets_macro_change", args=[everyone.pk]),
        {"title": "改了", "team": "", "body": "x", "is_active": "on"},
    )
    make_global = client.post(
        reverse("admin:tickets_macro_change", args=[own.pk]),
        {"title": own.title, "team": "", "body": own.body, "is_active": "on"},
    )

    assert {macro.title for macro in response.context["cl"].result_list} == {
        "售前一组欢迎语",
        "通用结束语",
    }
    assert edit_global.status_code == 403
    assert make_global.status_code == 200
    assert "team" in make_global.context["adminform"].form.errors
    assert Macro.objects.get(pk=everyone.pk).title == "通用结束语"
    assert Macro.objects.get(pk=own.pk).team == org.presales1


def test_phone_reveal_admin_is_a_read_only_audit_list(org, login):
    customer = CustomerFactory(name="王女士")
    services.customer_reveal_phones(actor=org.agent, customer=customer)
    reveal = PhoneReveal.objects.get()
    client = login(org.director)

    listing = client.get(REVEALS)
    add = client.get(reverse("admin:tickets_phonereveal_add"))
    change = client.post(reverse("admin:tickets_phonereveal_change", args=[reveal.pk]), {})
    delete = client.post(reverse("admin:tickets_phonereveal_delete", args=[reveal.pk]))
    supervisor = login(org.supervisor).get(REVEALS)

    assert list(listing.context["cl"].result_list) == [reveal]
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert supervisor.status_code == 403
    assert PhoneReveal.objects.count() == 1


def test_every_tickets_admin_page_renders_for_the_director(org, login, tickets):
    ShopFactory(code="tmall1")
    category = CategoryFactory(name="物流")
    CategoryFactory(name="丢件", parent=category)
    macro = MacroFactory(team=org.presales1)
    customer = tickets.presales1.customer
    services.ticket_add_note(actor=org.supervisor, ticket=tickets.presales1, body="请尽快处理")
    version = tickets.presales1.history.latest("history_date").history_id
    client = login(org.director)
    urls = [
        reverse("admin:index"),
        reverse("admin:tickets_ticket_change", args=[tickets.presales1.pk]),
        reverse("admin:tickets_ticket_history", args=[tickets.presales1.pk]),
        reverse("admin:tickets_ticket_simple_history", args=[tickets.presales1.pk, version]),
        reverse("admin:tickets_customer_add"),
        reverse("admin:tickets_customer_change", args=[customer.pk]),
        reverse("admin:tickets_customer_history", args=[customer.pk]),
        reverse("admin:tickets_macro_add"),
        reverse("admin:tickets_macro_change", args=[macro.pk]),
        reverse("admin:tickets_category_add"),
        reverse("admin:tickets_category_import"),
        reverse("admin:tickets_shop_export"),
        REVEALS,
    ] + [
        reverse(f"admin:tickets_{model}_changelist")
        for model in ("ticket", "customer", "category", "rootcause", "tag", "shop", "macro")
    ]

    statuses = {url: client.get(url).status_code for url in urls}

    assert statuses == dict.fromkeys(urls, 200)
