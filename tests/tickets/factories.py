"""Customers and tickets made through the services."""

import factory

from tickets import services
from tickets.models import Category, Customer, Macro, Shop, Ticket


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"shop{n}")
    name = factory.Sequence(lambda n: f"旗舰店{n}")
    platform = Shop.Platform.TMALL


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分类{n}")


class MacroFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Macro

    title = factory.Sequence(lambda n: f"话术{n}")
    body = "您好{customer_name}，工单{ticket_number}已由{agent_name}为您处理。"


class CustomerFactory(factory.Factory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"顾客{n}")
    phones = factory.Sequence(lambda n: [f"139{n:08d}"])

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.customer_create(**kwargs)


class TicketFactory(factory.Factory):
    """Pass ``team`` (a group); everything else has a default."""

    class Meta:
        model = Ticket

    actor = None
    subject = factory.Sequence(lambda n: f"订单{n}的物流问题")
    description = "顾客反映快递三天未更新。"
    type = Ticket.Type.LOGISTICS
    channel = Ticket.Channel.CHAT
    priority = Ticket.Priority.P3
    customer = factory.SubFactory(CustomerFactory)

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.ticket_create(**kwargs)
