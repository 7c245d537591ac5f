"""客户档案: customers, their phones and platform accounts, merging, and who sees full numbers."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.tickets.factories import CustomerFactory, ShopFactory, TicketFactory
from tickets import services
from tickets.models import (
    Customer,
    CustomerAccount,
    CustomerPhone,
    PhoneReveal,
    Ticket,
    TicketEvent,
    mask_phone,
    normalise_phone,
)
from tickets.permissions import TicketNotAllowed
from tickets.selectors import customer_duplicates, customer_list_for, with_duplicate_flag


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the zh-hans catalogue is translated separately."""
    with translation.override("en"):
        yield


def phones_of(customer: Customer) -> list[tuple[str, str]]:
    return sorted(customer.phones.values_list("number", "normalised"))


def stored_customers() -> tuple:
    """Every customer, phone, account and ticket-customer link (compared around a refusal)."""
    return (
        list(Customer.objects.order_by("pk").values()),
        sorted(CustomerPhone.objects.values_list("pk", "customer", "normalised")),
        sorted(CustomerAccount.objects.values_list("pk", "customer", "buyer_id")),
        sorted(Ticket.objects.values_list("pk", "customer")),
        TicketEvent.objects.count(),
    )


# --- phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+86 138-1234-5759", "13812345759"),
        ("0086 13812345759", "13812345759"),
        ("(138) 1234 5759", "13812345759"),
        ("021-6234 5678", "02162345678"),
        ("8613812345759", "13812345759"),
        ("86123", "86123"),
    ],
)
def test_phone_numbers_are_normalised_to_digits_without_the_country_code(raw, digits):
    assert normalise_phone(raw) == digits


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345759", "138****5759"),
        ("+86 138-1234-5759", "138****5759"),
        ("62345678", "****5678"),
        ("5759", "****"),
        ("", "****"),
    ],
)
def test_phone_numbers_are_masked(raw, masked):
    assert mask_phone(raw) == masked


def test_customer_is_created_with_normalised_phones_once_each(db):
    customer = services.customer_create(
        name=" 王秀英 ",
        phones=["+86 138-1234-5759", "13812345759", " ", "021-6234 5678"],
    )

    assert customer.name == "王秀英"
    assert phones_of(customer) == [
        ("+86 138-1234-5759", "13812345759"),
        ("021-6234 5678", "02162345678"),
    ]
    assert sorted(phone.masked for phone in customer.phones.all()) == [
        "021****5678",
        "138****5759",
    ]


def test_customer_with_a_bad_phone_is_refused(db):
    with pytest.raises(ValidationError) as excinfo:
        services.customer_create(name="王秀英", phones=["13812345759", "12-34"])

    assert excinfo.value.message_dict == {"phones": ["“12-34” is not a phone number."]}
    assert not Customer.objects.exists()


def test_customer_without_a_name_is_refused(db):
    with pytest.raises(ValidationError) as excinfo:
        services.customer_create(name="  ", phones=["13812345759"])

    assert excinfo.value.message_dict == {"name": ["The customer needs a name."]}
    assert not Customer.objects.exists()


# --- platform accounts -----------------------------------------------------------------------


def test_platform_account_already_on_file_is_refused(db):
    shop = ShopFactory(code="tmall-flagship", name="天猫旗舰店")
    services.customer_create(name="王秀英", accounts=[(shop, "tb_wang")])
    before = stored_customers()

    with pytest.raises(ValidationError) as excinfo:
        services.customer_create(name="王秀英(2)", accounts=[(shop, " tb_wang ")])

    assert excinfo.value.message_dict == {
        "accounts": ["天猫旗舰店 buyer tb_wang is already on file."]
    }
    assert stored_customers() == before


def test_the_same_buyer_id_in_another_shop_is_another_account(db):
    tmall = ShopFactory(code="tmall-flagship")
    jd = ShopFactory(code="jd-flagship")
    first = services.customer_create(name="王秀英", accounts=[(tmall, "wang")])

    second = services.customer_create(name="王先生", accounts=[(jd, "wang")])

    assert first != second
    assert CustomerAccount.objects.count() == 2


def test_upsert_for_account_creates_then_finds_and_adds_a_new_phone(db):
    shop = ShopFactory(code="tmall-flagship")

    created = services.customer_upsert_for_account(
        shop=shop, buyer_id="tb_wang", name="王秀英", phone="13812345759"
    )
    found = services.customer_upsert_for_account(
        shop=shop, buyer_id="tb_wang", name="王女士", phone="+86 139-0000-2222"
    )
    again = services.customer_upsert_for_account(shop=shop, buyer_id="tb_wang", phone="13812345759")

    assert created == found == again
    assert Customer.objects.count() == 1
    found.refresh_from_db()
    assert found.name == "王秀英"
    assert phones_of(found) == [
        ("+86 139-0000-2222", "13900002222"),
        ("13812345759", "13812345759"),
    ]
    assert list(found.accounts.values_list("shop__code", "buyer_id")) == [
        ("tmall-flagship", "tb_wang")
    ]


def test_upsert_fills_in_a_name_first_known_only_by_buyer_id(db):
    shop = ShopFactory(code="jd-flagship")
    customer = services.customer_upsert_for_account(shop=shop, buyer_id="jd_8842")

    services.customer_upsert_for_account(shop=shop, buyer_id="jd_8842", name="李建国")

    customer.refresh_from_db()
    assert customer.name == "李建国"


def test_upsert_follows_a_merged_customer_to_the_one_kept(org):
    shop = ShopFactory(code="tmall-flagship")
    source = services.customer_upsert_for_account(shop=shop, buyer_id="tb_wang", name="王秀英")
    target = CustomerFactory(name="王秀英", phones=["13812345759"])
    services.customer_merge(actor=org.supervisor, source=source, target=target)

    found = services.customer_upsert_for_account(shop=shop, buyer_id="tb_wang", phone="13900002222")

    assert found == target
    assert phones_of(target) == [("13812345759", "13812345759"), ("13900002222", "13900002222")]


# --- likely duplicates -----------------------------------------------------------------------


def test_customers_sharing_a_normalised_phone_are_flagged_as_likely_duplicates(db):
    wang = CustomerFactory(name="王秀英", phones=["+86 138-1234-5759"])
    wang_again = CustomerFactory(name="王女士", phones=["138 1234 5759", "13900002222"])
    li = CustomerFactory(name="李建国", phones=["13700001111"])

    flags = dict(
        with_duplicate_flag(Customer.objects.all()).values_list("name", "likely_duplicate")
    )

    assert flags == {"王秀英": True, "王女士": True, "李建国": False}
    assert list(customer_duplicates(wang)) == [wang_again]
    assert list(customer_duplicates(wang_again)) == [wang]
    assert list(customer_duplicates(li)) == []


def test_a_merged_away_record_is_no_longer_a_duplicate(org):
    wang = CustomerFactory(name="王秀英", phones=["13812345759"])
    wang_again = CustomerFactory(name="王女士", phones=["13812345759"])

    services.customer_merge(actor=org.supervisor, source=wang_again, target=wang)

    assert with_duplicate_flag(Customer.objects.filter(pk=wang.pk)).get().likely_duplicate is False
    assert list(customer_duplicates(wang)) == []
    assert list(customer_list_for(user=org.agent.user)) == [wang]


# --- merge -----------------------------------------------------------------------------------


@pytest.fixture
def two_records(org):
    """王秀英 recorded twice: the newer record (source) has two tickets, a shared phone,
    a phone of its own and a Tmall account."""
    shop = ShopFactory(code="tmall-flagship")
    target = CustomerFactory(name="王秀英", phones=["13812345759"])
    source = services.customer_create(
        name="王女士",
        phones=["+86 138-1234-5759", "13900002222"],
        email="wang@example.com",
        accounts=[(shop, "tb_wang")],
    )
    tickets = [TicketFactory(team=org.presales1, customer=source) for _ in range(2)]
    return source, target, tickets


def test_merge_moves_tickets_phones_and_accounts_to_the_kept_record(org, two_records):
    source, target, tickets = two_records

    services.customer_merge(actor=org.supervisor, source=source, target=target)

    source.refresh_from_db()
    target.refresh_from_db()
    assert source.merged_into == target
    assert set(Ticket.objects.filter(customer=target)) == set(tickets)
    assert sorted(target.phones.values_list("normalised", flat=True)) == [
        "13812345759",
        "13900002222",
    ]
    assert list(target.accounts.values_list("buyer_id", flat=True)) == ["tb_wang"]
    assert not source.accounts.exists()
    assert target.email == "wang@example.com"


def test_merge_records_an_event_on_each_moved_ticket(org, two_records):
    source, target, tickets = two_records

    services.customer_merge(actor=org.supervisor, source=source, target=target)

    merged = TicketEvent.objects.filter(kind=TicketEvent.Kind.CUSTOMER_MERGED)
    assert sorted(merged.values_list("ticket", "actor", "data")) == sorted(
        (
            ticket.pk,
            org.supervisor.pk,
            {"from": source.pk, "from_name": "王女士", "into": target.pk},
        )
        for ticket in tickets
    )


def test_new_tickets_for_a_merged_customer_go_to_the_kept_record(org, two_records):
    source, target, _tickets = two_records
    services.customer_merge(actor=org.manager, source=source, target=target)
    source.refresh_from_db()

    ticket = TicketFactory(team=org.presales1, customer=source)

    assert ticket.customer == target


def test_merge_by_a_specialist_is_refused(org, two_records):
    source, target, _tickets = two_records
    before = stored_customers()

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.customer_merge(actor=org.agent, source=source, target=target)

    assert str(excinfo.value) == "Only supervisors and managers may merge customers."
    assert stored_customers() == before


def test_merge_into_itself_is_refused(org, two_records):
    source, _target, _tickets = two_records
    before = stored_customers()

    with pytest.raises(ValidationError) as excinfo:
        services.customer_merge(actor=org.supervisor, source=source, target=source)

    assert excinfo.value.message_dict == {"target": ["A customer cannot be merged into itself."]}
    assert stored_customers() == before


def test_merge_of_a_record_already_merged_away_is_refused(org, two_records):
    source, target, _tickets = two_records
    services.customer_merge(actor=org.supervisor, source=source, target=target)
    third = CustomerFactory(name="王秀英(3)")
    before = stored_customers()

    with pytest.raises(ValidationError) as excinfo:
        services.customer_merge(actor=org.supervisor, source=third, target=source)

    assert excinfo.value.message_dict == {
        "target": ["One of these customers was already merged away."]
    }
    assert stored_customers() == before


# --- revealing full numbers ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "supervisor", "manager", "director"])
def test_reveal_returns_full_numbers_and_is_logged(org, who):
    customer = CustomerFactory(name="王秀英", phones=["+86 138-1234-5759"])
    ticket = TicketFactory(team=org.presales1, customer=customer)
    viewer = getattr(org, who)

    numbers = services.customer_reveal_phones(actor=viewer, customer=customer, ticket=ticket)

    assert numbers == ["+86 138-1234-5759"]
    assert list(PhoneReveal.objects.values_list("staff", "customer", "ticket")) == [
        (viewer.pk, customer.pk, ticket.pk)
    ]


@pytest.mark.parametrize("who", ["qa", "hr"])
def test_reveal_by_qa_or_hr_is_refused_and_not_logged(org, who):
    customer = CustomerFactory(name="王秀英", phones=["+86 138-1234-5759"])

    with pytest.raises(TicketNotAllowed) as excinfo:
        services.customer_reveal_phones(actor=getattr(org, who), customer=customer)

    assert str(excinfo.value) == "Your role may not see full phone numbers."
    assert not PhoneReveal.objects.exists()
