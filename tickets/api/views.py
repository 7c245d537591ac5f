"""Tickets, their messages and ratings, customers, and inbound platform events.

A shop key sees only its shop's tickets and customers (anything else is a 404, never a
403 that would confirm it exists); staff read tickets under the staff scope rule. Writes
(open, change, customer messages, ratings, customers) are the shops'."""

import datetime
import re

import django_filters
from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from csmanage.problems import problem_response
from feedback.services import rating_record
from tickets.api.auth import HasScope, shop_of
from tickets.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from tickets.api.idempotency import idempotent
from tickets.api.parsers import JSONParser, json_document
from tickets.api.serializers import (
    BuyerSerializer,
    CustomerSerializer,
    InboundEventSerializer,
    InboundResultSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    RatingSerializer,
    TicketChangeSerializer,
    TicketCreateSerializer,
    TicketSerializer,
)
from tickets.models import ApiKey, Customer, CustomerAccount, Message, Shop, Ticket
from tickets.selectors import ticket_list_for
from tickets.services import customer_upsert_for_account, ticket_customer_message
from tickets.services.integrations import (
    inbound_event_receive,
    shop_ticket_change,
    shop_ticket_open,
)
from tickets.services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_problem

Scope = ApiKey.Scope


BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class Cursor(CursorPagination):
    """``{"next", "previous", "results"}``, in id order (positions are ids); a cursor that
    cannot be read, or whose position is no id, is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = False
        if (
            # Base64 as we write it: the decoder skips what is not, so "%%%" would pass
            # as the first page.
            (encoded and not BASE64.fullmatch(encoded))
            or cursor is False
            or (
                cursor is not None
                and cursor.position is not None
                and not (
                    cursor.position.isascii()  # "²".isdigit(), yet no int
                    and cursor.position.isdigit()
                    and len(cursor.position) < 19
                )
            )
        ):
            raise exceptions.ValidationError({"cursor": [_("Invalid cursor.")]})
        return cursor

    def get_page_size(self, request):
        try:
            return super().get_page_size(request)
        except (TypeError, ValueError):
            return self.page_size


class OldestFirst(Cursor):
    ordering = "id"


#: "…T08:00:00 08:00": the "+" of the offset, sent unencoded, arrives as a space.
PLUS_DECODED_AS_SPACE = re.compile(
    r"^(\S*[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$"
)


class MomentField(IsoDateTimeField):
    """ISO 8601, also when the "+" of its offset came through the query string unencoded
    (``?updated_since=2025-11-11T08:00:00+08:00``, as people type it, reads as a space)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = PLUS_DECODED_AS_SPACE.sub(r"\1+\2", value.strip())
        return super().to_python(value)


class MomentSinceFilter(django_filters.IsoDateTimeFilter):
    """At or after a moment, compared in UTC: ISO 8601 allows offsets up to ±23:59 that
    PostgreSQL refuses (±15:59). A moment past year 9999 in UTC matches nothing, one
    before year 1 everything."""

    field_class = MomentField

    def filter(self, qs, value):
        if value is None:
            return qs
        try:
            value = value.astimezone(datetime.UTC)
        except OverflowError:
            return qs.none() if value.year > 1 else qs
        return super().filter(qs, value)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices, help_text="状态 / Status")
    type = django_filters.ChoiceFilter(choices=Ticket.Type.choices, help_text="类型 / Type")
    order_ref = django_filters.CharFilter(max_length=64, help_text="订单号 / Order number")
    updated_since = MomentSinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="只返回此时间（ISO 8601）之后更新的工单 / Only tickets updated at or after this "
        "moment (ISO 8601)",
    )

    class Meta:
        model = Ticket
        fields = ("status", "type", "order_ref", "updated_since")


class OperationMetadata(SimpleMetadata):
    """OPTIONS: the methods (``Allow``), name and formats; what each operation takes and
    answers is in the OpenAPI schema (``/api/schema/``) — DRF's ``actions`` would describe
    the view's main serializer whatever the operation."""

    def determine_metadata(self, request, view) -> dict:
        metadata = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        return metadata


class ScopedViewSet(viewsets.GenericViewSet):
    """Scopes per action and method (``required_scopes``); ``shop_actions`` are for shop
    keys only."""

    permission_classes = (HasScope,)
    parser_classes = (JSONParser,)
    metadata_class = OperationMetadata
    required_scopes: dict[str, str] = {}
    shop_actions: frozenset[str] = frozenset()

    def required_scope(self, request) -> str | None:
        return self.required_scopes.get(f"{self.action}:{request.method}") or (
            self.required_scopes.get(self.action)
        )

    def is_shop_only(self, request) -> bool:
        return self.action in self.shop_actions or f"{self.action}:{request.method}" in (
            self.shop_actions
        )


@extend_schema_view(
    list=extend_schema(
        summary="工单列表 / List tickets",
        description="本店铺（或员工权限范围内）的工单，按创建倒序，游标分页。 / The shop's "
        "tickets (or those in the staff member's scope), newest first, cursor-paginated.",
    ),
    retrieve=extend_schema(summary="工单详情 / One ticket"),
)
class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    pagination_class = Cursor
    lookup_field = "number"
    lookup_value_regex = "[A-Za-z0-9-]{1,30}"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {
        "list": Scope.TICKETS_READ,
        "retrieve": Scope.TICKETS_READ,
        "create": Scope.TICKETS_WRITE,
        "partial_update": Scope.TICKETS_WRITE,
        "messages:GET": Scope.TICKETS_READ,
        "messages:POST": Scope.TICKETS_WRITE,
        "rating": Scope.RATINGS_WRITE,
    }
    shop_actions = frozenset({"create", "partial_update", "messages:POST", "rating"})

    def get_queryset(self):
        shop = shop_of(self.request)
        tickets = (
            Ticket.objects.select_related("customer").filter(shop=shop)
            if shop is not None
            else ticket_list_for(user=self.request.user)
        )
        accounts = CustomerAccount.objects.all()
        if shop is not None:
            accounts = accounts.filter(shop=shop)
        return tickets.prefetch_related(
            "tags", Prefetch("customer__accounts", queryset=accounts)
        ).order_by("-id")

    def get_object(self) -> Ticket:
        number = self.kwargs["number"].upper()
        ticket = self.get_queryset().filter(number=number).first()
        if ticket is None:
            raise Http404
        return ticket

    def _fresh(self, ticket: Ticket) -> dict:
        """The ticket as the API shows it, read again after a change."""
        return TicketSerializer(self.get_queryset().get(pk=ticket.pk)).data

    @extend_schema(
        summary="创建工单 / Open a ticket",
        description="按 (店铺, buyer_id) 新增或更新买家后建单；SLA 从 opened_at（默认现在）起算。"
        " / Upserts the buyer by (shop, buyer_id) and opens a ticket; SLA clocks start at "
        "opened_at (default now).",
        request=TicketCreateSerializer,
        responses={201: TicketSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request):
        incoming = TicketCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        ticket = shop_ticket_open(shop=shop_of(request), **incoming.validated_data)
        return Response(self._fresh(ticket), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="修改工单 / Change a ticket",
        description="店铺可以修改优先级、标签，或关闭工单。 / The shop may change the "
        "priority and tags, or close the ticket.",
        request=TicketChangeSerializer,
        responses={200: TicketSerializer},
    )
    def partial_update(self, request, number: str):
        ticket = self.get_object()
        incoming = TicketChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        ticket = shop_ticket_change(
            ticket=ticket,
            priority=data.get("priority"),
            tags=data.get("tags"),
            close=data.get("status") == Ticket.Status.CLOSED,
            reason=data.get("reason", ""),
        )
        return Response(self._fresh(ticket))

    @extend_schema(
        methods=["GET"],
        summary="工单消息 / A ticket's conversation",
        description="买家消息与客服公开回复（不含内部备注），按时间顺序。 / Buyer messages and "
        "public replies (never internal notes), oldest first.",
        responses={200: MessageSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="买家留言 / Add a buyer message",
        description="作为买家消息加入对话；待买家回复的工单回到处理中，已解决或已关闭（在重开期内）的"
        "工单重新打开，超过重开期则返回 409。 / Adds a buyer message: a ticket waiting on the "
        "buyer goes back to open; a resolved or closed one reopens within the reopen window, "
        "after it the answer is 409.",
        request=MessageCreateSerializer,
        responses={201: MessageSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=OldestFirst)
    def messages(self, request, number: str):
        ticket = self.get_object()
        if request.method == "POST":
            return self._message_add(request, ticket)
        messages = (
            Message.objects.filter(
                ticket=ticket, kind__in=[Message.Kind.CUSTOMER, Message.Kind.REPLY]
            )
            .select_related("author")
            .order_by("id")
        )
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @idempotent
    def _message_add(self, request, ticket: Ticket):
        incoming = MessageCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        message = ticket_customer_message(
            ticket=ticket, body=incoming.validated_data["body"], channel=Ticket.Channel.API
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="买家评价 / Rate the service",
        description="买家对本工单服务的评分（1–5）与评价；再次提交会更新之前的评价（200）。 / The "
        "buyer's 1–5 rating and comment; sending again updates it (200).",
        request=RatingSerializer,
        responses={201: RatingSerializer, 200: RatingSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def rating(self, request, number: str):
        return self._rate(request, self.get_object())

    @idempotent
    def _rate(self, request, ticket: Ticket):
        incoming = RatingSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rating, created = rating_record(
            ticket=ticket,
            score=incoming.validated_data["score"],
            comment=incoming.validated_data.get("comment", ""),
            shop=shop_of(request),
        )
        return Response(
            RatingSerializer(rating).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(
        summary="客户列表 / List the shop's customers",
        description="在本店铺有买家账号的客户（手机号脱敏），游标分页。 / Customers with a buyer "
        "account in this shop (phones masked), cursor-paginated.",
    ),
    retrieve=extend_schema(
        summary="客户详情 / One customer by buyer id",
        parameters=[
            OpenApiParameter(
                "buyer_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="买家账号 / Buyer id",
            )
        ],
    ),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    serializer_class = CustomerSerializer
    pagination_class = Cursor
    lookup_field = "buyer_id"
    # Any buyer id the API accepts, "/" included (sent as "%2F", it reaches us as "/").
    lookup_value_regex = r"[^\x00-\x1f\x7f]{1,100}"
    required_scopes = {
        "list": Scope.CUSTOMERS_READ,
        "retrieve": Scope.CUSTOMERS_READ,
        "create": Scope.CUSTOMERS_WRITE,
    }
    shop_actions = frozenset({"list", "retrieve", "create"})

    def _shop(self) -> Shop:
        return shop_of(self.request)

    def get_serializer_context(self) -> dict:
        shop = shop_of(self.request)
        return {**super().get_serializer_context(), "shop_id": shop.pk if shop else None}

    def get_queryset(self):
        shop = self._shop()
        return (
            Customer.objects.filter(accounts__shop=shop)
            .prefetch_related(
                "phones", Prefetch("accounts", queryset=CustomerAccount.objects.filter(shop=shop))
            )
            .order_by("-id")
        )

    def get_object(self) -> Customer:
        account = get_object_or_404(
            CustomerAccount.objects.select_related("customer"),
            shop=self._shop(),
            buyer_id=self.kwargs["buyer_id"].strip(),  # as it was stored
        )
        customer = account.customer
        while customer.merged_into_id is not None:
            customer = customer.merged_into
        return self.get_queryset().filter(pk=customer.pk).first() or customer

    @extend_schema(
        summary="新增或更新客户 / Create or update a customer",
        description="按 (店铺, buyer_id) 新增（201）或补充姓名、手机号（200）。 / Creates the "
        "customer (201) or fills in a missing name and adds a phone (200), by (shop, buyer_id).",
        request=BuyerSerializer,
        responses={201: CustomerSerializer, 200: CustomerSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def create(self, request):
        incoming = BuyerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        shop = self._shop()
        data = incoming.validated_data
        existed = CustomerAccount.objects.filter(shop=shop, buyer_id=data["buyer_id"]).exists()
        customer = customer_upsert_for_account(shop=shop, **data)
        customer = self.get_queryset().filter(pk=customer.pk).first() or customer
        return Response(
            self.get_serializer(customer).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class InboundThrottle(AnonRateThrottle):
    scope = "inbound"

    def get_rate(self) -> str:
        return settings.API_INBOUND_RATE


class InboundEventView(APIView):
    """Platform events a shop pushes, signed with its webhook secret."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (InboundThrottle,)

    @extend_schema(
        summary="平台事件推送 / Push a platform event",
        description=(
            "店铺推送平台事件。请求头 `X-CSManage-Timestamp: <unix 秒>` 与 "
            '`X-CSManage-Signature: sha256=<hex HMAC-SHA256(webhook secret, 时间戳 + "." + '
            "原始请求体)>`；超过 5 分钟的时间戳被拒绝；重复的 event_id 返回 200 并忽略。 / "
            "Headers `X-CSManage-Timestamp: <unix seconds>` and `X-CSManage-Signature: "
            'sha256=<hex HMAC-SHA256(webhook secret, timestamp + "." + raw body)>`; timestamps '
            "older than 5 minutes are refused; a replayed event_id is acknowledged (200) and "
            "ignored.\n\nMapping / 映射:\n"
            "- `refund_dispute.opened` → 投诉工单 complaint (P2)\n"
            "- `after_sale.requested` → 售后工单 after-sales (P3)\n"
            "- `return.requested` → 退换货工单 return/exchange (P3)\n"
            "- `buyer.message` → 订单的未结工单中加买家消息，没有则建咨询工单 / a buyer message on "
            "the order's open ticket, else a consultation ticket\n"
            "- `order.cancelled`, `refund_dispute.closed` → 在订单的未结工单上加内部备注 / an "
            "internal note on the order's open tickets\n\n"
            "An event that opens a ticket adds to an open ticket of the same type for the same "
            "order instead of opening a second one. / 同一订单已有同类未结工单时，追加到该工单。"
        ),
        request=InboundEventSerializer,
        responses={200: InboundResultSerializer},
        parameters=[
            OpenApiParameter(
                TIMESTAMP_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Unix 时间戳（秒） / Unix time in seconds",
            ),
            OpenApiParameter(
                SIGNATURE_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex>",
            ),
        ],
        auth=[],
    )
    def post(self, request, code: str):
        shop = Shop.objects.filter(code=code, is_active=True).first()
        if shop is None:
            raise Http404
        body = request.body
        problem = signature_problem(
            shop.webhook_secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
        )
        if problem is not None:
            messages = {
                "missing": _("Sign the request: X-CSManage-Timestamp and X-CSManage-Signature."),
                "timestamp": _("X-CSManage-Timestamp must be Unix time in seconds."),
                "stale": _("The timestamp is more than 5 minutes away from now."),
                "signature": _("The signature does not match."),
            }
            return problem_response(
                status.HTTP_401_UNAUTHORIZED,
                messages[problem],
                code=f"signature_{problem}",
                instance=request.get_full_path(),
            )
        payload = json_document(body)
        incoming = InboundEventSerializer(data=payload)
        incoming.is_valid(raise_exception=True)
        event = {**incoming.validated_data, "raw": payload}
        record, new = inbound_event_receive(shop=shop, event=event)
        return Response(
            InboundResultSerializer(
                {
                    "event_id": record.event_id,
                    "duplicate": not new,
                    "ticket": record.ticket.number if record.ticket_id else None,
                    "outcome": record.outcome,
                }
            ).data
        )
