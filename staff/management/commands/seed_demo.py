"""Build a realistic demo organisation and a year of its tickets; running it again changes
nothing."""

import datetime
import itertools
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from staff import services
from staff.models import Staff, Team
from tickets.demo import demo_tickets_load
from training.demo import demo_training_load

Role = Staff.Role
Spec = Staff.Specialisation

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
    "曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "文",
    "晨",
    "悦",
    "欣怡",
    "子涵",
    "浩然",
    "雨桐",
    "思远",
    "佳琪",
    "一鸣",
    "梓萱",
    "宇航",
    "诗涵",
    "俊杰",
    "婷婷",
    "嘉怡",
    "志强",
    "晓燕",
]

#: department → groups (name, specialisation of its agents, skills)
ORGANISATION = {
    "售前服务部": [
        ("售前一组", Spec.PRESALES, ["presales", "chat"]),
        ("售前二组", Spec.PRESALES, ["presales", "chat", "英语"]),
        ("在线咨询组", Spec.ONLINE_CHAT, ["chat", "consultation"]),
    ],
    "售后服务部": [
        ("售后一组", Spec.AFTERSALES, ["aftersales", "return_exchange", "logistics"]),
        ("投诉处理组", Spec.COMPLAINTS, ["complaint", "phone"]),
        ("电话回访组", Spec.PHONE, ["phone", "callback"]),
    ],
}
AGENTS_PER_GROUP = 10


def chinese_names():
    """A repeatable stream of distinct Chinese names (2,080 of them)."""
    names = [surname + given for surname in SURNAMES for given in GIVEN]
    random.Random(2026).shuffle(names)  # noqa: S311 - demo data, not security
    yield from names


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument("--customers", type=int, default=2000, help="Demo customers.")
        parser.add_argument("--tickets", type=int, default=20000, help="Demo tickets.")

    @transaction.atomic
    def handle(
        self, *args, force: bool = False, customers: int = 2000, tickets: int = 20000, **options
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production. Use --force to seed anyway."
            )
        names = chinese_names()
        created: list[Staff] = []
        today = datetime.date(2026, 11, 1)

        def person(username: str, number: str, role: str, team: Team | None, **extra) -> Staff:
            existing = Staff.objects.filter(user__username=username).first()
            if existing is not None:
                return existing
            staff = services.staff_create(
                actor=None,
                username=username,
                email=f"{username}@demo.csmanage.local",
                employee_number=number,
                name=next(names),
                role=role,
                team=team,
                hire_date=extra.pop("hire_date", datetime.date(2022, 3, 1)),
                status=extra.pop("status", Staff.Status.ON_POST),
                onboarding_passed=extra.pop("onboarding_passed", True),
                confidentiality_signed_on=extra.pop(
                    "confidentiality_signed_on", datetime.date(2022, 3, 1)
                ),
                **extra,
            )
            created.append(staff)
            return staff

        def team(name: str, kind: str, parent: Team | None = None) -> Team:
            return Team.objects.filter(name=name).first() or services.team_create(
                actor=None, name=name, kind=kind, parent=parent
            )

        person("director", "CS0001", Role.DIRECTOR, None)
        supervisor_number = itertools.count(1)
        agent_number = itertools.count(1)
        for manager_index, (department_name, groups) in enumerate(ORGANISATION.items(), start=1):
            department = team(department_name, Team.Kind.DEPARTMENT)
            person(f"manager{manager_index}", f"CS01{manager_index:02d}", Role.MANAGER, department)
            for group_name, specialisation, skills in groups:
                group = team(group_name, Team.Kind.GROUP, department)
                index = next(supervisor_number)
                person(
                    f"supervisor{index}",
                    f"CS02{index:02d}",
                    Role.SUPERVISOR,
                    group,
                    specialisation=specialisation,
                    skills=skills,
                )
                for seat in range(AGENTS_PER_GROUP):
                    number = next(agent_number)
                    new_hire = seat == AGENTS_PER_GROUP - 1
                    person(
                        f"agent{number}",
                        f"CS1{number:03d}",
                        Role.SPECIALIST,
                        group,
                        specialisation=specialisation,
                        skills=skills,
                        hire_date=today
                        if new_hire
                        else datetime.date(2023, 1, 1) + datetime.timedelta(days=17 * number),
                        status=Staff.Status.PROBATION if new_hire else Staff.Status.ON_POST,
                        onboarding_passed=not new_hire,
                        confidentiality_signed_on=today if new_hire else datetime.date(2023, 1, 1),
                        mobile=f"138{number:08d}",
                    )
        for index in (1, 2):
            person(f"qa{index}", f"CS03{index:02d}", Role.QA_INSPECTOR, None, skills=["quality"])
        person("hr1", "CS0401", Role.HR, None)

        services.accounts_set_password(
            users=[staff.user for staff in created], password=settings.DEMO_PASSWORD
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organisation ready: {Staff.objects.count()} staff in "
                f"{Team.objects.count()} teams ({len(created)} added now)."
            )
        )
        # Adds nothing once the demo tickets are there.
        added = demo_tickets_load(customers=customers, tickets=tickets)
        self.stdout.write(self.style.SUCCESS(f"Demo tickets ready ({added} added now)."))
        sessions = demo_training_load()
        self.stdout.write(
            self.style.SUCCESS(f"Demo training ready ({sessions} sessions added now).")
        )
