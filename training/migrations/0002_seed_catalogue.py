"""The grade scale and course catalogue the policies in the seeds describe: a one-week
onboarding programme ending in an exam, a quarterly refresher for everyone, and courses in
each category (information security is required for every role, with a yearly certificate)."""

from decimal import Decimal

from django.db import migrations

EVERY_ROLE = ["director", "manager", "supervisor", "specialist", "qa_inspector", "hr"]
AGENTS = ["specialist", "supervisor"]

COURSES = [
    # name, category, purpose, hours, required roles, within days, certificate months, text
    ("新员工入职培训", "service_skills", "onboarding", "40", AGENTS, 7, None,
     "为期一周：公司文化、产品知识、服务流程、平台操作与话术，结束时考试，合格后方可上岗。"),
    ("季度全员复训", "service_skills", "refresher", "3", [], 90, None,
     "每季度一次：新产品信息、服务技巧、投诉处理案例复盘。"),
    ("产品知识", "product", "regular", "6", AGENTS, 30, None,
     "公司产品及服务知识、行业动态及竞品信息。"),
    ("服务技巧与沟通", "service_skills", "regular", "6", AGENTS, 30, None,
     "接听与在线沟通技巧、客户心理与需求分析、突发事件应对、情绪管理。"),
    ("服务礼仪与态度", "etiquette", "regular", "3", [], 30, None,
     "客户至上理念、服务规范及礼仪、文明用语。"),
    ("团队协作", "teamwork", "regular", "3", [], 30, None,
     "团队沟通技巧与目标一致性。"),
    ("信息安全与合规", "compliance", "regular", "2", EVERY_ROLE, 30, 12,
     "客户信息保密、专人专号、账号与密码管理、个人信息保护法要点。"),
    ("销售技巧", "sales", "regular", "4", [], 30, None,
     "售前咨询转化、关联推荐与促单技巧。"),
]  # fmt: skip


def seed(apps, schema_editor):
    GradeScale = apps.get_model("training", "GradeScale")
    Course = apps.get_model("training", "Course")
    if not GradeScale.objects.exists():
        GradeScale.objects.create(
            name="标准评分",
            pass_from=Decimal(60),
            good_from=Decimal(75),
            excellent_from=Decimal(90),
            is_default=True,
        )
    for name, category, purpose, hours, roles, within, months, text in COURSES:
        Course.objects.get_or_create(
            name=name,
            defaults={
                "category": category,
                "purpose": purpose,
                "duration_hours": Decimal(hours),
                "required_for_roles": roles,
                "required_within_days": within,
                "certificate_months": months,
                "description": text,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
