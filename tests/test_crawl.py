"""Every page, as every role: no 500, no traceback, Chinese, nothing out of scope.

One world per test: the shared ``org``, a new hire on probation, tickets in three groups
(claimed, escalated, resolved with a callback due, rated), a phone reveal, notifications,
a shop's keys, webhooks and platform events, and training with scores, a retake and a
retraining flag. Then, as the role of the test:

- every admin page of every registered model: the changelist (with each filter's first
  options, junk filter values, a search, a deep page, an ordering), the add page,
  import/export, autocomplete, and the change, history, history-record and delete pages of
  a record in the role's scope and of one outside it;
- every named URL of the site outside the admin and the API, its path filled with the
  role's own records, others' and missing ones, asked with common query strings, as a page
  and as an htmx request; and every entry of the role's menu;
- junk posted to every form of the site.

Markers tell whether a page shows what the role may not see: the subjects of a 售前二组 and
a 投诉组 ticket and the name of 投诉组's agent; a customer's full phone number must never be
on a page. Each role must also meet every marker it may see, so the crawl does reach them.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, SolarSchedule

from feedback.services import rating_record
from staff.models import Staff
from staff.services import staff_offboard
from tests.staff.factories import StaffFactory
from tests.tickets.factories import (
    CategoryFactory,
    CustomerFactory,
    MacroFactory,
    ShopFactory,
    TicketFactory,
)
from tickets import services
from tickets.models import Callback, Notification, RootCause, Tag, Ticket, WebhookSubscription
from tickets.services.integrations import api_key_create, inbound_event_receive
from tickets.services.notifications import notify
from tickets.services.webhooks import webhooks_enqueue
from training import services as training
from training.models import Course, RetrainingFlag, TrainingAlert, TrainingPlan

ROLES = ("director", "manager", "supervisor", "agent", "qa", "hr", "newhire", "anonymous")
ADMIN_ROLES = ("director", "manager", "supervisor", "qa", "hr")
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"

FULL_PHONE = "13912345678"
P2_SUBJECT = "售前二组的退款工单"
COMPLAINT_SUBJECT = "投诉组的投诉工单"
COMPLAINTS_AGENT = "郑六"
#: Who may see each marker: the director everything; the presales manager 售前二组's
#: tickets; HR every staff record; nobody a full phone number.
MARKERS = {
    P2_SUBJECT: {"director", "manager"},
    COMPLAINT_SUBJECT: {"director"},
    COMPLAINTS_AGENT: {"director", "hr"},
    FULL_PHONE: set(),
}
#: Query strings every page of the site is asked with.
QUERIES = (
    "",
    "?page=2",
    "?page=9999",
    "?page=abc",
    "?page=-1",
    "?page=99999999999999999999",
    "?q=139-1234-5678",  # the phone, written otherwise than the marker
    "?q=5678",
    "?q=%3Cscript%3E",
    "?q=" + "长" * 300,
    "?sort=due",
    "?sort=bogus",
    "?status=open&priority=P1&type=complaint&channel=phone&sla=breached",
    "?status=bogus&sla=bogus",
    "?tag=VIP",
    "?team=abc",
    "?team=%C2%B2",  # "²": str.isdigit() says yes, int() says no
    "?team=99999999999999999999",
    "?role=specialist&status=on_post",
    "?customer=%C2%B2",
    "?customer=99999999999999999999",
    "?queue=team",
)


@dataclass
class World:
    """The ``org``, the people logged in as each role, and the records the crawl uses."""

    org: object
    people: dict[str, Staff]
    tickets: dict[str, Ticket] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)


def _resolve(ticket: Ticket, agent: Staff, category) -> Ticket:
    services.ticket_reply(actor=agent, ticket=ticket, body="您好，已为您处理。")
    return services.ticket_resolve(
        actor=agent, ticket=ticket, resolution_summary="已退款", category=category
    )


@pytest.fixture
def world(org) -> World:
    """The ``org``, a new hire on probation, and a bit of everything the pages show."""
    new_hire = StaffFactory(
        username="newhire",
        name="新人小周",
        team=org.presales1,
        status=Staff.Status.PROBATION,
        onboarding_passed=False,
    )
    leaver = StaffFactory(name="离职的王五", team=org.presales1)
    staff_offboard(actor=org.director, staff=leaver, accounts_returned=["wangwu"], reason="辞职")
    people = {
        "director": org.director,
        "manager": org.manager,
        "supervisor": org.supervisor,
        "agent": org.agent,
        "qa": org.qa,
        "hr": org.hr,
        "newhire": new_hire,
    }
    world = World(org=org, people=people)

    shop = ShopFactory(
        code="sunshine",
        name="阳光旗舰店",
        default_team=org.presales1,
        complaint_team=org.complaints,
    )
    category = CategoryFactory(name="退款")
    root_cause = RootCause.objects.create(name="物流延误")
    vip = Tag.objects.create(name="VIP")
    MacroFactory(team=org.presales1)
    MacroFactory(team=None)
    customer = CustomerFactory(name="王小姐", phones=[FULL_PHONE], accounts=[(shop, "tb_wang")])
    twin = CustomerFactory(name="王小姐（重复）", phones=[FULL_PHONE])

    def ticket(team, subject, **extra):
        return services.ticket_create(
            actor=None,
            subject=subject,
            type=extra.pop("type", Ticket.Type.LOGISTICS),
            channel=Ticket.Channel.CHAT,
            team=team,
            customer=extra.pop("customer", customer),
            category=category,
            tags=[vip],
            **extra,
        )

    own = ticket(org.presales1, "售前一组的物流工单", shop=shop, order_ref="TB001")
    services.ticket_claim(actor=org.agent, ticket=own)
    services.ticket_reply(actor=org.agent, ticket=own, body="正在为您查询。")
    services.ticket_add_note(actor=org.agent, ticket=own, body="内部备注")
    unassigned = ticket(org.presales1, "售前一组未分配的工单", customer=twin)
    resolved = ticket(org.presales1, "售前一组已解决的工单")
    services.ticket_claim(actor=org.agent, ticket=resolved)
    _resolve(resolved, org.agent, category)
    rating_record(ticket=resolved, score=2, comment="太慢", shop=shop)
    p2 = ticket(org.presales2, P2_SUBJECT)
    complaint = ticket(
        org.complaints,
        COMPLAINT_SUBJECT,
        type=Ticket.Type.COMPLAINT,
        complaint_reason="发错货",
        shop=shop,
        order_ref="TB002",
    )
    services.ticket_claim(actor=org.agent_b, ticket=complaint)
    services.ticket_escalate(actor=org.agent_b, ticket=complaint, reason="顾客要求主管处理")
    complaint_done = ticket(org.complaints, "投诉组已解决的工单 " + COMPLAINT_SUBJECT)
    services.ticket_claim(actor=org.agent_b, ticket=complaint_done)
    _resolve(complaint_done, org.agent_b, category)
    services.ticket_update(actor=org.agent, ticket=own, root_cause=root_cause)
    world.tickets = {
        "own": own,
        "unassigned": unassigned,
        "resolved": resolved,
        "p2": p2,
        "complaint": complaint,
    }

    services.customer_reveal_phones(actor=org.agent_b, customer=customer, ticket=complaint)
    services.customer_reveal_phones(actor=org.agent, customer=customer, ticket=own)
    for staff in (org.agent, org.agent_b, org.supervisor):
        notify(recipients=[staff], kind=Notification.Kind.CALLBACK_DUE, text=f"请回访 {staff.name}")
    subscription = WebhookSubscription.objects.create(
        shop=shop, url="https://shop.example.com/hooks"
    )
    webhooks_enqueue(own, "ticket.updated")
    api_key_create(name="阳光店", scopes=["tickets:read"], shop=shop)
    api_key_create(name="郑六的钥匙", scopes=["tickets:read"], staff=org.agent_b)
    inbound_event_receive(
        shop=shop,
        event={
            "event_id": "evt-1",
            "event_type": "refund_dispute.opened",
            "occurred_at": timezone.now(),
            "order_ref": "TB003",
            "buyer": {"buyer_id": "tb_li", "name": "李先生"},
            "data": {"reason": "未收到货"},
            "raw": {"event_id": "evt-1"},
        },
    )
    Group.objects.create(name="值班组")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude=31.23, longitude=121.47)

    courses = {course.name: course for course in Course.objects.all()}
    security = courses["信息安全与合规"]
    onboarding = courses["新员工入职培训"]

    def session(course, days, **extra):
        starts = timezone.now() + datetime.timedelta(days=days)
        return training.session_create(
            actor=None,
            course=course,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=3),
            **extra,
        )

    past = session(security, -3, title="信息安全培训（上期）")
    upcoming = session(security, 3, title="信息安全培训（下期）", trainer=org.supervisor)
    enrolled = training.enrol(
        actor=None, session=past, people=[org.agent, org.agent2, org.agent_p2, org.agent_b]
    )
    by_name = {enrolment.staff.name: enrolment for enrolment in enrolled}
    training.assessment_record(actor=None, enrolment=by_name["张三"], scores={"exam": 85})
    failed = training.assessment_record(
        actor=None, enrolment=by_name["郑六"], scores={"exam": Decimal("30")}
    )
    retake = training.retake_enrol(actor=None, enrolment=failed, session=upcoming)
    training.assessment_record(actor=None, enrolment=retake, scores={"exam": 20})
    training.enrol(actor=None, session=upcoming, people=[org.agent, new_hire])
    week = session(onboarding, -2, title="入职培训第一期")
    training.enrol(actor=None, session=week, people=[new_hire])
    TrainingPlan.objects.create(
        department=org.presales, year=timezone.localdate().year, title="年度培训", owner=org.manager
    )
    TrainingAlert.objects.create(
        staff=org.agent_b,
        course=security,
        kind=TrainingAlert.Kind.REQUIRED_OVERDUE,
        due_on=timezone.localdate(),
    )
    world.objects = {
        "customer": customer,
        "shop": shop,
        "subscription": subscription,
        "past_session": past,
        "upcoming_session": upcoming,
        "flag": RetrainingFlag.objects.get(),
        "callback_own": Callback.objects.get(ticket=resolved),
        "callback_other": Callback.objects.get(ticket=complaint_done),
        "enrolment_own": by_name["张三"],
        "enrolment_other": by_name["郑六"],
        "enrolment_new_hire": new_hire.enrolments.get(session=week),
    }
    return world


def client_for(client, world: World, role: str):
    """The test client as ``role``; a server error comes back as a 500 response (the log
    has its traceback) so that one crawl reports every failing page."""
    client.raise_request_exception = False
    if role != "anonymous":
        client.force_login(world.people[role].user)
    return client


def markers_in(response) -> set[str]:
    body = response.content.decode(errors="replace")
    return {marker for marker in MARKERS if marker in body}


def page_problems(response, role: str) -> list[str]:
    """What is wrong with an answer: a server error, a traceback, a page not in Chinese, a
    marker the role may not see."""
    if response.status_code >= 500:
        return [f"{response.status_code}"]
    body = response.content.decode(errors="replace")
    problems = ["traceback"] if "Traceback" in body else []
    full_page = response["Content-Type"].startswith("text/html") and "<html" in body
    if full_page and '<html lang="zh-hans"' not in body:
        problems.append("not in Chinese")
    return problems + [
        f"shows {marker}" for marker in markers_in(response) if role not in MARKERS[marker]
    ]


def may_see(role: str) -> set[str]:
    """The markers the role may see (and must meet, for the crawl to prove anything)."""
    return {marker for marker, roles in MARKERS.items() if role in roles}


# ── Admin ────────────────────────────────────────────────────────────────────────────────


def _object_urls(model_admin, obj) -> list[str]:
    """The change, history and delete pages of one record, and its latest history row."""
    prefix = f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    urls = [reverse(f"{prefix}_{page}", args=[obj.pk]) for page in ("change", "history", "delete")]
    history = getattr(type(obj), "history", None)
    if history is not None:
        record = obj.history.order_by("-history_id").first()
        if record is not None:
            urls.append(reverse(f"{prefix}_simple_history", args=[obj.pk, record.history_id]))
    return urls


def _filter_urls(model_admin, changelist_url: str, request) -> list[str]:
    """The changelist filtered by each filter's first options, by junk values, and by the
    date hierarchy's year."""
    changelist = model_admin.get_changelist_instance(request)
    urls = []
    for spec in changelist.get_filters(request)[0]:
        choices = [choice for choice in spec.choices(changelist) if not choice.get("selected")]
        urls += [changelist_url + choice["query_string"] for choice in choices[:3]]
        parameter = getattr(spec, "parameter_name", None) or spec.expected_parameters()[0]
        urls += [f"{changelist_url}?{parameter}={junk}" for junk in ("%C2%B2", 10**20)]
    if model_admin.date_hierarchy:
        urls.append(f"{changelist_url}?{model_admin.date_hierarchy}__year={timezone.now().year}")
    return urls


def admin_urls(world: World, role: str) -> list[tuple[str, str]]:
    """``(url, whose)`` for every admin page; ``whose`` is "out" for the pages of a record
    outside the role's scope, else "". The anonymous visitor is asked for everything."""
    user = world.people[role].user if role in world.people else None
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = [(reverse("admin:index"), ""), (reverse("admin:jsi18n"), "")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        changelist = reverse(f"{prefix}_changelist")
        names = {pattern.name for pattern in model_admin.urls}
        pages = [changelist, changelist + "?q=%E7%8E%8B", changelist + "?p=9999"]
        pages += [changelist + "?o=2", reverse(f"{prefix}_add")]
        pages += [
            reverse(f"{prefix}_{n}") for n in ("import", "export") if f"{prefix[6:]}_{n}" in names
        ]
        pages += [
            f"{reverse('admin:autocomplete')}?app_label={opts.app_label}"
            f"&model_name={opts.model_name}&field_name={name}&term=%E7%8E%8B"
            for name in model_admin.autocomplete_fields
        ]
        urls += [(url, "") for url in pages]
        if user is None:
            first = model._default_manager.order_by("pk").first()
            urls += [(url, "") for url in _object_urls(model_admin, first)] if first else []
            continue
        if model_admin.has_view_or_change_permission(request):
            urls += [(url, "") for url in _filter_urls(model_admin, changelist, request)]
        visible = model_admin.get_queryset(request)
        mine = visible.order_by("pk").first()
        other = model._default_manager.exclude(pk__in=visible.values("pk")).order_by("pk").first()
        urls += [(url, "") for url in _object_urls(model_admin, mine)] if mine else []
        urls += [(url, "out") for url in _object_urls(model_admin, other)] if other else []
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    return urls + [(reverse("admin:app_list", args=[label]), "") for label in labels]


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_page_answers_every_role_without_error_or_leak(client, world, role):
    client = client_for(client, world, role)
    problems, seen = [], set()

    for url, whose in admin_urls(world, role):
        response = client.get(url)

        found = page_problems(response, role)
        seen |= markers_in(response)
        if role not in ADMIN_ROLES and not (
            response.status_code == 302 and response["Location"].startswith(ADMIN_LOGIN)
        ):
            found.append(f"{response.status_code}, not sent to the admin login")
        if role in ADMIN_ROLES and whose == "out" and response.status_code not in (302, 403, 404):
            found.append(f"{response.status_code} for a record out of scope")
        problems += [f"{url}: {problem}" for problem in found]

    assert problems == []
    assert may_see(role) - seen == set()  # the crawl reached what the role may see


# ── The site ─────────────────────────────────────────────────────────────────────────────


def site_patterns() -> list[tuple[str, URLPattern]]:
    """Every named URL outside the admin and the API, as ``(name, pattern)``."""

    def walk(resolver: URLResolver, namespace: str):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace not in ("admin", "v1"):
                    inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                    yield from walk(pattern, inner)
            elif pattern.name:
                yield namespace + pattern.name, pattern

    return [
        (name, pattern)
        for name, pattern in walk(get_resolver(), "")
        if not str(pattern.pattern).startswith("api/") and name not in ("schema", "api-docs")
    ]


def path_values(world: World) -> dict[str, list]:
    """For each path parameter, the values asked for: first the test roles' own records,
    then others' and missing ones."""
    org, t, o = world.org, world.tickets, world.objects
    return {
        "number": [t["own"].number, t["p2"].number, t["complaint"].number, "CS-209901-000001"],
        "queue": ["mine", "team", "unassigned", "escalated", "bogus"],
        "action": ["claim"],
        "staff_id": [org.agent.pk, org.agent_p2.pk, org.agent_b.pk, 99999],
        "team_id": [org.presales1.pk, org.presales2.pk, org.complaints.pk, 99999],
        "customer_id": [o["customer"].pk, 99999],
        "callback_id": [o["callback_own"].pk, o["callback_other"].pk, 99999],
        "session_id": [o["upcoming_session"].pk, o["past_session"].pk, 99999],
        "enrolment_id": [o["enrolment_own"].pk, o["enrolment_other"].pk, 99999],
        "flag_id": [o["flag"].pk, 99999],
    }


def site_urls(world: World) -> list[tuple[str, str, bool]]:
    """``(name, url, first)`` for every named page with each value of its path parameters;
    ``first`` marks the first value (the one asked with every query string)."""
    values = path_values(world)
    urls = []
    for name, pattern in site_patterns():
        parameters = list(pattern.pattern.converters)
        assert all(p in values for p in parameters), f"{name}: add {parameters} to path_values"
        count = max((len(values[p]) for p in parameters), default=1)
        for index in range(count):
            kwargs = {p: values[p][min(index, len(values[p]) - 1)] for p in parameters}
            urls.append((name, reverse(name, kwargs=kwargs), index == 0))
    return [*urls, ("", "/no-such-page/", True)]


#: Answered without logging in (or refused by method rather than by login).
PUBLIC = {"login", "healthz", "set_language", "logout", ""}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_every_role_without_error_or_leak(client, world, role):
    client = client_for(client, world, role)
    problems, seen = [], set()
    # Another group's ticket searched for by number and by order number.
    queries = (*QUERIES, f"?q={world.tickets['complaint'].number}", "?q=TB002")

    for name, url, first in site_urls(world):
        asked = [(query, {}) for query in (queries if first else ("",))]
        asked += [("", {"HTTP_HX_REQUEST": "true"})] if first else []
        for query, headers in asked:
            response = client.get(url + query, **headers)

            found = page_problems(response, role)
            seen |= markers_in(response)
            sent_to_login = response.get("Location", "").startswith(LOGIN)
            if role == "anonymous" and name not in PUBLIC and not sent_to_login:
                found.append(f"{response.status_code}, not sent to the login page")
            problems += [f"{url}{query}: {problem}" for problem in found]
    if role != "anonymous":
        menu = client.get(reverse("home"), follow=True).context["navigation"]
        for entry in menu:
            response = client.get(entry["url"], follow=True)
            if response.status_code != 200:
                problems.append(f"{entry['url']}: menu entry answers {response.status_code}")

    assert problems == []
    assert may_see(role) - seen == set()  # the crawl reached what the role may see


# ── Junk posted to the site's forms ──────────────────────────────────────────────────────

HUGE = "长" * 100_000
BIG_NUMBER = str(10**20)
NO_TICKET = "CS-209901-000001"
#: Roles that do not see 投诉组's records (everyone but the director).
OUTSIDE_COMPLAINTS = frozenset(ROLES) - {"director"}


@dataclass(frozen=True)
class Junk:
    """A post that must be refused: by a 4xx, the form again with its errors, or a
    redirect with an error message. ``quiet``: refused without a message is fine (a value
    no form of the site sends, like a language that does not exist)."""

    url: str
    data: dict
    roles: frozenset = frozenset(ROLES)
    quiet: bool = False


def junk_posts(world: World) -> list[Junk]:
    """Posts every role (of ``roles``) must see refused — fields missing, of the wrong
    type, too large, or naming records of another group or none at all."""
    org, t, o = world.org, world.tickets, world.objects
    own, other = t["own"].number, t["complaint"].number

    def action(name: str, number: str = own) -> str:
        return reverse("tickets:action", args=[number, name])

    callback = reverse("tickets:callback_record", args=[o["callback_own"].pk])
    customer = o["customer"].pk
    session = o["upcoming_session"].pk
    enrolment = o["enrolment_own"].pk
    anonymous = frozenset({"anonymous"})
    upload = SimpleUploadedFile("scores.csv", b"\xff\xfe not a sheet", "text/csv")
    return [
        Junk(reverse("login"), {}, roles=anonymous),
        Junk(reverse("login"), {"username": HUGE, "password": HUGE}, roles=anonymous),
        Junk(reverse("password_change"), {"old_password": "wrong", "new_password1": "1"}),
        Junk(
            reverse("set_language"), {"language": "xx", "next": "//evil.example.com/"}, quiet=True
        ),
        Junk(reverse("tickets:create"), {}),
        Junk(reverse("tickets:create"), {"subject": HUGE, "type": "bogus", "team": "abc"}),
        Junk(
            reverse("tickets:create"),
            {
                "subject": "投诉",
                "type": "complaint",
                "channel": "phone",
                "priority": "P9",
                "team": BIG_NUMBER,
                "customer": "²",
                "customer_name": "王",
            },
        ),
        Junk(reverse("tickets:reply", args=[own]), {}),
        Junk(reverse("tickets:reply", args=[own]), {"kind": "bogus", "body": "您好"}),
        Junk(reverse("tickets:reply", args=[own]), {"kind": "reply", "body": HUGE}),
        Junk(reverse("tickets:reply", args=[own]), {"body": "您好", "then_status": "closed"}),
        Junk(
            reverse("tickets:reply", args=[other]),
            {"kind": "note", "body": "别组的工单"},
            roles=OUTSIDE_COMPLAINTS,
        ),
        Junk(reverse("tickets:reply", args=[NO_TICKET]), {"kind": "note", "body": "您好"}),
        Junk(action("claim", other), {}),
        Junk(action("assign"), {"assignee": org.agent_b.pk}),
        Junk(action("assign"), {"assignee": "²"}),
        Junk(action("assign"), {"assignee": BIG_NUMBER}),
        Junk(action("status"), {"status": "closed"}),
        Junk(action("escalate"), {"reason": HUGE}),
        Junk(action("reopen"), {"reason": "重开"}),
        Junk(action("close"), {"reason": HUGE}),
        Junk(action("transfer"), {"team": org.presales1.pk, "reason": "同组"}),
        Junk(action("transfer"), {"team": BIG_NUMBER, "reason": "转派"}),
        Junk(action("transfer"), {"team": org.presales.pk, "reason": "部门"}),
        Junk(action("resolve"), {"resolution_summary": "已解决", "category": "abc"}),
        Junk(action("details"), {"priority": "P9", "type": "logistics", "tags": ["²"]}),
        Junk(action("details"), {"priority": "P1", "type": "logistics", "category": BIG_NUMBER}),
        Junk(action("bogus"), {}),
        Junk(action("escalate", other), {"reason": "别组"}, roles=OUTSIDE_COMPLAINTS),
        Junk(reverse("tickets:presence", args=[own]), {"state": "bogus"}),
        Junk(
            reverse("tickets:presence", args=[other]),
            {"state": "viewing"},
            roles=OUTSIDE_COMPLAINTS,
        ),
        Junk(reverse("tickets:bulk_assign"), {}),
        Junk(reverse("tickets:bulk_assign"), {"tickets": [own], "assignee": "²"}),
        Junk(reverse("tickets:bulk_assign"), {"tickets": [own], "assignee": BIG_NUMBER}),
        Junk(
            reverse("tickets:bulk_assign"),
            {"tickets": [own], "assignee": org.agent_b.pk, "next": "//evil.example.com/"},
        ),
        Junk(reverse("tickets:bulk_assign"), {"tickets": [NO_TICKET], "mode": "auto"}),
        Junk(callback, {}),
        Junk(callback, {"outcome": "bogus"}),
        Junk(callback, {"outcome": "satisfied", "notes": HUGE}),
        Junk(
            reverse("tickets:callback_record", args=[o["callback_other"].pk]),
            {"outcome": "satisfied"},
            roles=OUTSIDE_COMPLAINTS,
        ),
        Junk(reverse("tickets:notifications"), {"email_kinds": ["bogus"]}),
        Junk(reverse("tickets:notifications_read"), {"id": ["abc", "²", BIG_NUMBER]}, quiet=True),
        Junk(reverse("tickets:customer_reveal", args=[customer]), {"ticket": NO_TICKET}),
        Junk(reverse("tickets:customer_reveal", args=[customer]), {"ticket": HUGE}),
        Junk(reverse("tickets:customer_reveal", args=[99999]), {}),
        Junk(reverse("tickets:customer_merge", args=[customer]), {}),
        Junk(reverse("tickets:customer_merge", args=[customer]), {"target": "abc"}),
        Junk(reverse("tickets:customer_merge", args=[customer]), {"target": BIG_NUMBER}),
        Junk(reverse("tickets:customer_merge", args=[customer]), {"target": customer}),
        Junk(reverse("training:enrol", args=[session]), {}),
        Junk(reverse("training:enrol", args=[session]), {"people": ["²"], "team": BIG_NUMBER}),
        Junk(reverse("training:enrol", args=[session]), {"role": "bogus"}),
        Junk(reverse("training:upload", args=[session]), {}),
        Junk(reverse("training:upload", args=[session]), {"file": upload}),
        Junk(reverse("training:assess", args=[enrolment]), {}),
        Junk(
            reverse("training:assess", args=[enrolment]),
            {f"e{enrolment}-attendance": "present", f"e{enrolment}-exam": "abc"},
        ),
        Junk(
            reverse("training:assess", args=[enrolment]),
            {f"e{enrolment}-attendance": "present", f"e{enrolment}-exam": BIG_NUMBER},
        ),
        Junk(reverse("training:retake", args=[enrolment]), {}),
        Junk(reverse("training:retake", args=[enrolment]), {"session": BIG_NUMBER}),
        Junk(reverse("training:retake", args=[enrolment]), {"session": "abc"}),
        Junk(reverse("training:feedback", args=[enrolment]), {"score": "9"}),
        Junk(reverse("training:feedback", args=[o["enrolment_other"].pk]), {"score": "5"}),
        Junk(
            reverse("training:withdraw", args=[o["enrolment_other"].pk]),
            {},
            roles=OUTSIDE_COMPLAINTS - {"hr"},
        ),
        Junk(reverse("training:flag_decide", args=[o["flag"].pk]), {"outcome": "bogus"}),
    ]


def database_state() -> dict[str, list[tuple]]:
    """Every row of the project's own tables and of the logins, to tell a refused post
    from one that wrote something."""
    models = [apps.get_model("auth", "User")]
    for label in ("staff", "tickets", "training", "feedback"):
        models += apps.get_app_config(label).get_models()
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in models
    }


def refusal_problems(response, role: str, junk: Junk) -> list[str]:
    """What is wrong with the answer to a post that must be refused (and with the messages
    it flashed)."""
    problems = page_problems(response, role)
    flashed = list(get_messages(response.wsgi_request))
    problems += [
        f"says {marker}"
        for marker, roles in MARKERS.items()
        if role not in roles and any(marker in message.message for message in flashed)
    ]
    location = response.get("Location", "")
    if location and not (location.startswith("/") and not location.startswith("//")):
        problems.append(f"redirects off the site to {location}")
    if problems or response.status_code >= 400 or junk.quiet:
        return problems
    if response.status_code == 302:
        if location.startswith(LOGIN):
            return []
        errors = [message for message in flashed if message.level_tag == "error"]
        return [] if errors else ["302 without an error message"]
    body = response.content.decode()
    shows_errors = 'class="errorlist' in body or 'class="errors' in body
    return [] if shows_errors else [f"{response.status_code} without an error"]


@pytest.mark.parametrize("role", ROLES)
def test_junk_posted_to_any_form_is_refused_without_a_write(client, world, role):
    client = client_for(client, world, role)
    problems = []

    for junk in junk_posts(world):
        if role not in junk.roles:
            continue
        before = database_state()

        # A browser always sends the CSRF field, so a form is never posted empty.
        response = client.post(junk.url, {"csrfmiddlewaretoken": "x", **junk.data})
        client.cookies.pop("messages", None)  # read here, not on the next page

        found = refusal_problems(response, role, junk)
        changed = [label for label, rows in database_state().items() if before[label] != rows]
        if changed:
            found.append(f"wrote {changed}")
        problems += [f"POST {junk.url} {sorted(junk.data)}: {problem}" for problem in found]

    assert problems == []


# ── Query budgets ────────────────────────────────────────────────────────────────────────

#: The most queries each main page may take, whatever the number of rows it lists.
QUERY_BUDGETS = {
    "tickets:queue": 10,
    "tickets:counts": 6,
    "tickets:detail": 30,
    "tickets:callbacks": 6,
    "tickets:notifications": 6,
    "tickets:customers": 10,
    "tickets:customer": 14,
    "staff:list": 8,
    "staff:teams": 6,
    "staff:team": 8,
    "staff:detail": 6,
    "training:mine": 9,
    "training:team": 16,
    "training:session": 12,
}


@pytest.fixture
def busy_world(world) -> World:
    """The world with twenty more tickets, customers and notifications in 售前一组, so that
    a page whose queries grow with its rows shows it."""
    org = world.org
    for index in range(20):
        ticket = TicketFactory(team=org.presales1, tags=[Tag.objects.get(name="VIP")])
        services.ticket_claim(actor=org.agent, ticket=ticket)
        services.ticket_reply(actor=org.agent, ticket=ticket, body=f"第{index}次回复")
        notify(recipients=[org.agent, org.supervisor], kind="callback_due", text=f"回访{index}")
    return world


@pytest.mark.parametrize("role", ["director", "manager", "supervisor", "agent"])
def test_main_pages_stay_within_their_query_budget(
    client, busy_world, role, django_assert_max_num_queries
):
    client = client_for(client, busy_world, role)
    urls = [(name, url) for name, url, first in site_urls(busy_world) if first]

    for name, url in urls:
        if name in QUERY_BUDGETS:
            with django_assert_max_num_queries(QUERY_BUDGETS[name], info=url):
                response = client.get(url)
            assert response.status_code in (200, 403, 404), url

    assert sorted(QUERY_BUDGETS) == sorted({name for name, _url in urls} & set(QUERY_BUDGETS))
