"""What the API reads and writes. Field descriptions are bilingual (中文 / English): they
are the API's documentation."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback.models import Rating
from tickets.models import Customer, Message, Ticket, mask_phone
from tickets.services.customers import customer_phones_check

#: The earliest moment a ticket may be opened or an event have happened: anything before is
#: a mistake (a zero date, a wrong epoch), not history.
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def moment_check(value: datetime.datetime) -> datetime.datetime:
    """A moment a shop sends: from 2000 on (``EARLIEST``)."""
    if value < EARLIEST:
        raise serializers.ValidationError(_("The time cannot be before the year 2000."))
    return value


def _buyer_id(customer: Customer, shop_id: int | None) -> str | None:
    """The customer's buyer id in the shop (accounts are prefetched)."""
    for account in customer.accounts.all():
        if account.shop_id == shop_id:
            return account.buyer_id
    return None


class BuyerSerializer(serializers.Serializer):
    buyer_id = serializers.CharField(
        max_length=100,
        help_text="买家在平台上的账号（店铺内唯一；不能含控制字符，也不能是 “.” 或 “..”） / The "
        "buyer's id on the platform (unique in the shop; no control characters, and not “.” or "
        "“..”, so that `/api/v1/customers/<buyer_id>/` can address it)",
    )
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="姓名或昵称 / Name or nick"
    )
    phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, help_text="手机号 / Mobile number"
    )

    def validate_buyer_id(self, value: str) -> str:
        # It is a path segment of the customer's URL: a control character cannot be sent
        # there, and clients resolve "." and ".." away before sending.
        if any(ord(char) < 32 or ord(char) == 127 for char in value) or any(
            part in (".", "..") for part in value.split("/")
        ):
            raise serializers.ValidationError(
                _("A buyer id cannot contain control characters, nor be “.” or “..”.")
            )
        return value

    def validate_phone(self, value: str) -> str:
        try:
            customer_phones_check(phones=[value])
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value


class TicketCustomerSerializer(serializers.Serializer):
    buyer_id = serializers.CharField(
        allow_null=True, help_text="买家账号（本店铺） / Buyer id in this shop"
    )
    name = serializers.CharField(help_text="客户姓名 / Customer name")


class TicketSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True, help_text="工单号 / Ticket number")
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices, read_only=True, help_text="状态 / Status"
    )
    sla_state = serializers.ChoiceField(
        choices=Ticket.SlaState.choices, read_only=True, help_text="SLA 状态 / SLA state"
    )
    tags = serializers.SerializerMethodField(help_text="标签 / Tags")
    customer = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = (
            "number",
            "subject",
            "description",
            "type",
            "channel",
            "priority",
            "status",
            "order_ref",
            "tags",
            "customer",
            "opened_at",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "first_response_due",
            "next_response_due",
            "resolution_due",
            "sla_state",
        )
        read_only_fields = fields
        extra_kwargs = {
            "subject": {"help_text": "标题 / Subject"},
            "description": {"help_text": "描述 / Description"},
            "type": {"help_text": "类型 / Type"},
            "channel": {"help_text": "渠道 / Channel"},
            "priority": {"help_text": "优先级 P1（最高）–P4 / Priority, P1 highest"},
            "order_ref": {"help_text": "订单号 / Order number"},
            "opened_at": {
                "help_text": "买家提出的时间，SLA 从此起算 / When raised; SLA starts here"
            },
            "created_at": {"help_text": "创建时间 / Created"},
            "updated_at": {"help_text": "最后更新时间 / Last updated"},
            "first_response_at": {"help_text": "首次回复时间 / First public reply"},
            "resolved_at": {"help_text": "解决时间 / Resolved"},
            "closed_at": {"help_text": "关闭时间 / Closed"},
            "first_response_due": {"help_text": "首次响应截止 / First response due"},
            "next_response_due": {"help_text": "下次响应截止 / Next response due"},
            "resolution_due": {"help_text": "解决截止 / Resolution due"},
        }

    def get_tags(self, ticket: Ticket) -> list[str]:
        return sorted(tag.name for tag in ticket.tags.all())

    @extend_schema_field(TicketCustomerSerializer)
    def get_customer(self, ticket: Ticket) -> dict:
        return {
            "buyer_id": _buyer_id(ticket.customer, ticket.shop_id),
            "name": ticket.customer.name,
        }


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, help_text="标题 / Subject")
    description = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, help_text="描述 / Description"
    )
    type = serializers.ChoiceField(choices=Ticket.Type.choices, help_text="类型 / Type")
    channel = serializers.ChoiceField(
        choices=Ticket.Channel.choices,
        default=Ticket.Channel.API,
        help_text="渠道（默认 api） / Channel (default api)",
    )
    priority = serializers.ChoiceField(
        choices=Ticket.Priority.choices,
        default=Ticket.Priority.P3,
        help_text="优先级（默认 P3） / Priority (default P3)",
    )
    order_ref = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="订单号 / Order number"
    )
    opened_at = serializers.DateTimeField(
        required=False,
        help_text="买家在平台上提出的时间（2000 年起，不得晚于现在；不带时区按北京时间）；SLA 从此"
        "起算 / When the buyer raised it on the platform (from 2000 on, never in the future; "
        "without an offset it is Beijing time, UTC+8); SLA clocks start from it",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=20,
        help_text="已有标签名 / Names of existing tags",
    )
    customer = BuyerSerializer(help_text="买家，按 (店铺, buyer_id) 新增或更新 / Upserted buyer")

    def validate_opened_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError(_("The opening time cannot be in the future."))
        return moment_check(value)


class TicketChangeSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(
        choices=Ticket.Priority.choices, required=False, help_text="优先级 / Priority"
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=20,
        help_text="替换全部标签 / Replaces all tags",
    )
    status = serializers.ChoiceField(
        choices=[(Ticket.Status.CLOSED, Ticket.Status.CLOSED.label)],
        required=False,
        help_text="只能设为 closed（关闭） / Only “closed” may be set",
    )
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text='关闭原因，只能与 `"status": "closed"` 一起发送 / Why it is closed, sent '
        'only with `"status": "closed"`',
    )

    def to_internal_value(self, data):
        """Every field sent must be one the shop may change: another (``subject``,
        ``type``…) is an error, not silently ignored."""
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {
                str(name): [_("This field cannot be changed through the API.")]
                for name in data
                if name not in self.fields
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                raise serializers.ValidationError({**unknown, **error.detail}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def validate(self, attrs: dict) -> dict:
        if "reason" in attrs and attrs.get("status") != Ticket.Status.CLOSED:
            raise serializers.ValidationError(
                {"reason": [_("Send a reason only with “status”: “closed”.")]}
            )
        return attrs


class MessageSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=[
            (Message.Kind.CUSTOMER, Message.Kind.CUSTOMER.label),
            (Message.Kind.REPLY, Message.Kind.REPLY.label),
        ],
        read_only=True,
        help_text="customer：买家消息；reply：客服回复 / Buyer message or agent reply",
    )
    author = serializers.SerializerMethodField(help_text="回复的客服 / The replying agent")

    class Meta:
        model = Message
        fields = ("id", "kind", "body", "author", "created_at")
        read_only_fields = fields
        extra_kwargs = {
            "body": {"help_text": "内容 / Text"},
            "created_at": {"help_text": "时间 / Sent"},
        }

    def get_author(self, message: Message) -> str | None:
        return message.author.name if message.author_id else None


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, help_text="买家消息内容 / The buyer's message")


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ("score", "comment", "created_at", "updated_at")
        read_only_fields = ("created_at", "updated_at")
        extra_kwargs = {
            "score": {"min_value": 1, "max_value": 5, "help_text": "评分 1–5 / Score 1–5"},
            "comment": {"max_length": 2000, "help_text": "评价内容 / Comment"},
        }


class CustomerSerializer(serializers.ModelSerializer):
    buyer_id = serializers.SerializerMethodField(help_text="买家账号 / Buyer id in this shop")
    phones = serializers.SerializerMethodField(help_text="手机号（脱敏） / Phones, masked")

    class Meta:
        model = Customer
        fields = ("buyer_id", "name", "phones", "tier", "created_at", "updated_at")
        read_only_fields = fields
        extra_kwargs = {
            "name": {"help_text": "姓名或昵称 / Name"},
            "tier": {"help_text": "客户等级 / Customer tier"},
        }

    def get_buyer_id(self, customer: Customer) -> str | None:
        return _buyer_id(customer, self.context["shop_id"])

    def get_phones(self, customer: Customer) -> list[str]:
        return [mask_phone(phone.number) for phone in customer.phones.all()]


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _unstorable_texts(document) -> list[str]:
    """The dotted paths of the texts in a JSON document that cannot be stored."""
    found, stack = [], [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not _storable(value):
                found.append(path or "non_field_errors")
        elif isinstance(value, dict):
            for key, child in value.items():
                name = f"{path}.{key}" if path else str(key)
                if not _storable(key):
                    found.append(path or "non_field_errors")
                else:
                    stack.append((name, child))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}", child) for index, child in enumerate(value))
    return sorted(set(found))


class InboundEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100, help_text="平台事件 ID（去重用） / Event id")
    event_type = serializers.CharField(max_length=50, help_text="事件类型 / Event type")
    occurred_at = serializers.DateTimeField(
        validators=[moment_check],
        help_text="发生时间（2000 年起；不带时区按北京时间） / When it happened (from 2000 on; "
        "without an offset it is Beijing time, UTC+8)",
    )
    order_ref = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="订单号 / Order number"
    )
    buyer = BuyerSerializer(required=False, help_text="买家 / The buyer")
    data = serializers.DictField(required=False, help_text="事件数据 / Event data")

    def validate(self, attrs: dict) -> dict:
        """The event is kept as sent: none of its texts (keys included, wherever they are)
        may hold what the database cannot store — a NUL or an unpaired surrogate."""
        message = _("Text cannot contain NUL characters or unpaired surrogates.")
        if paths := _unstorable_texts(self.initial_data):
            raise serializers.ValidationError({path: [message] for path in paths})
        return attrs


class InboundResultSerializer(serializers.Serializer):
    event_id = serializers.CharField(help_text="事件 ID / Event id")
    duplicate = serializers.BooleanField(help_text="是否重复投递 / Was it a replay")
    ticket = serializers.CharField(allow_null=True, help_text="相关工单号 / Ticket number")
    outcome = serializers.CharField(help_text="处理结果 / What was done")
