"""CSManage 店铺接入示例 / CSManage shop integration example.

中文
----
这是一个可以直接复制使用的 Python 示例（只依赖 httpx），演示店铺如何调用 CSManage REST API：

1. 用 ``Idempotency-Key`` 创建工单（网络超时后用同一个键重试，不会重复建单）；
2. 轮询工单，直到状态变化或达到轮询次数；
3. 按游标分页列出某个时间之后更新过的工单；
4. 用店铺 webhook 密钥签名并推送平台事件（``sign``）；
5. 校验 CSManage 发给店铺的 webhook 签名（``verify_signature``：常量时间比较、时间戳容差）。

环境变量（也可以用命令行参数）::

    CSMANAGE_URL             例如 https://csmanage.example.com
    CSMANAGE_KEY             店铺 API 密钥 csk_…（manage.py create_shop_key <店铺代码>）
    CSMANAGE_SHOP            店铺代码（推送事件用）
    CSMANAGE_WEBHOOK_SECRET  店铺 webhook 密钥（manage.py shop_webhook_secret <店铺代码>）

运行::

    python shop_client.py --polls 10 --interval 5

English
-------
A copy-and-adapt example (httpx only) of a shop calling the CSManage REST API:

1. open a ticket with an ``Idempotency-Key`` (a retry after a timeout reuses the key, so
   the ticket is opened once);
2. poll it until its status changes, or N polls;
3. list the tickets updated since a moment, following the cursor;
4. sign and push a platform event with the shop's webhook secret (``sign``);
5. check the signature of a webhook CSManage sends the shop (``verify_signature``: constant-
   time comparison, timestamp tolerance).

Environment (or the command-line options of the same meaning): ``CSMANAGE_URL``,
``CSMANAGE_KEY`` (the shop's key, from ``manage.py create_shop_key <shop-code>``),
``CSMANAGE_SHOP`` (the shop's code, for events) and ``CSMANAGE_WEBHOOK_SECRET`` (from
``manage.py shop_webhook_secret <shop-code>``). Run ``python shop_client.py --help``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import httpx

TIMESTAMP_HEADER = "X-CSManage-Timestamp"
SIGNATURE_HEADER = "X-CSManage-Signature"
#: How often a request refused with 429 is tried again (after its Retry-After).
THROTTLE_RETRIES = 3


class ApiError(Exception):
    """An error answer: ``problem`` is its RFC 9457 body (``type``, ``title``, ``status``,
    ``detail``, ``errors``)."""

    def __init__(self, status: int, problem: dict) -> None:
        self.status, self.problem = status, problem
        errors = problem.get("errors")
        super().__init__(
            f"{status} {problem.get('title', '')}: {problem.get('detail', '')}"
            + (f" {errors}" if errors else "")
        )


# -- signatures ---------------------------------------------------------------------------------


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers that sign ``body`` (the exact bytes you send) for CSManage:
    ``X-CSManage-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: _digest(secret, stamp, body)}


def verify_signature(
    secret: str,
    timestamp: str | None,
    body: bytes,
    signature_header: str | None,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """Whether a webhook from CSManage is genuine: its timestamp (Unix seconds) within
    ``tolerance`` seconds of now, and its signature that of the raw body. Check the raw
    bytes as received, before parsing the JSON."""
    if not timestamp or not signature_header:
        return False
    # Headers are whatever the sender wrote: only a short run of ASCII digits is a time
    # (int() also takes "١٢٣" and "1_000", and a 400-digit number overflows the subtraction),
    # and compare_digest() refuses to compare a non-ASCII str.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    if not signature_header.isascii():
        return False
    return hmac.compare_digest(_digest(secret, timestamp, body), signature_header)


# -- the API ------------------------------------------------------------------------------------


class ShopClient:
    """The shop's side of the API. ``base_url`` is the site (``https://csmanage.example.com``)."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=f"{self.base_url}/api/v1/",
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ShopClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _request(self, method: str, url: str, **kwargs) -> httpx.Response:
        """One call; a 429 waits for its Retry-After and tries again; an error is ApiError."""
        for attempt in range(THROTTLE_RETRIES + 1):
            response = self.http.request(method, url, **kwargs)
            if response.status_code != 429 or attempt == THROTTLE_RETRIES:
                break
            self.sleep(float(response.headers.get("Retry-After", "1")))
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:200]}
            raise ApiError(response.status_code, problem)
        return response

    def create_ticket(
        self,
        *,
        subject: str,
        type: str,
        customer: dict,
        idempotency_key: str | None = None,
        **fields,
    ) -> dict:
        """Open a ticket for a buyer (``{"buyer_id", "name", "phone"}``). Other fields:
        ``description``, ``priority`` (P1–P4), ``order_ref``, ``opened_at`` (ISO 8601),
        ``tags``, ``channel``. A timeout is retried once with the same Idempotency-Key, so
        the ticket is opened once even when the first answer was lost."""
        key = idempotency_key or str(uuid.uuid4())
        body = {"subject": subject, "type": type, "customer": customer, **fields}
        headers = {"Idempotency-Key": key}
        try:
            response = self._request("POST", "tickets/", json=body, headers=headers)
        except httpx.TransportError:
            response = self._request("POST", "tickets/", json=body, headers=headers)
        return response.json()

    def ticket(self, number: str) -> dict:
        return self._request("GET", f"tickets/{number}/").json()

    def wait_for_status_change(
        self, number: str, *, status: str, polls: int = 10, interval: float = 5.0
    ) -> dict:
        """Poll the ticket until its status is no longer ``status``, at most ``polls``
        times, ``interval`` seconds apart; returns the ticket as last seen. (Webhooks tell
        you sooner and cost less: poll only where you cannot receive them.)"""
        ticket = self.ticket(number)
        for _poll in range(polls - 1):
            if ticket["status"] != status:
                break
            self.sleep(interval)
            ticket = self.ticket(number)
        return ticket

    def tickets_updated_since(
        self, since: datetime.datetime, *, page_size: int = 50, **filters
    ) -> Iterator[dict]:
        """Every ticket updated at or after ``since`` (an aware datetime), newest first,
        following the ``next`` cursor page by page."""
        params = {"updated_since": since.isoformat(), "page_size": page_size, **filters}
        url: str | None = "tickets/"
        while url:
            page = self._request("GET", url, params=params).json()
            yield from page["results"]
            url, params = page["next"], None  # ``next`` carries the query and the cursor

    def message(self, number: str, body: str, *, idempotency_key: str | None = None) -> dict:
        """Add the buyer's message to the ticket's conversation."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        return self._request(
            "POST", f"tickets/{number}/messages/", json={"body": body}, headers=headers
        ).json()

    def push_event(self, shop_code: str, secret: str, event: dict) -> dict:
        """Push a platform event (``event_id``, ``event_type``, ``occurred_at``,
        ``order_ref``, ``buyer``, ``data``), signed with the shop's webhook secret. A
        replayed ``event_id`` is answered ``"duplicate": true`` and not acted on twice."""
        body = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **sign(secret, body)}
        return self._request(
            "POST", f"shops/{shop_code}/events/", content=body, headers=headers
        ).json()


# -- a walk-through -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="CSManage shop API walk-through / 接入示例")
    parser.add_argument("--url", default=env("CSMANAGE_URL"), help="CSMANAGE_URL")
    parser.add_argument("--key", default=env("CSMANAGE_KEY"), help="CSMANAGE_KEY")
    parser.add_argument("--shop", default=env("CSMANAGE_SHOP"), help="CSMANAGE_SHOP")
    parser.add_argument(
        "--webhook-secret", default=env("CSMANAGE_WEBHOOK_SECRET"), help="CSMANAGE_WEBHOOK_SECRET"
    )
    parser.add_argument("--polls", type=int, default=10, help="Polls of the new ticket.")
    parser.add_argument("--interval", type=float, default=5.0, help="Seconds between polls.")
    parser.add_argument("--buyer", default="tb_demo_buyer", help="The buyer id to open it for.")
    args = parser.parse_args(argv)
    if not args.url or not args.key:
        parser.error("set CSMANAGE_URL and CSMANAGE_KEY (or --url and --key)")
    started = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 - also runs on 3.10
    order = f"DEMO{int(time.time())}"
    with ShopClient(args.url, args.key) as client:
        ticket = client.create_ticket(
            subject=f"订单 {order} 物流三天未更新",
            type="logistics",
            customer={"buyer_id": args.buyer, "name": "示例买家"},
            order_ref=order,
            idempotency_key=f"demo-{order}",
        )
        print(f"opened {ticket['number']} ({ticket['status']}, SLA {ticket['sla_state']})")
        seen = client.wait_for_status_change(
            ticket["number"], status=ticket["status"], polls=args.polls, interval=args.interval
        )
        print(f"{seen['number']} is {seen['status']}")
        for row in client.tickets_updated_since(started):
            print(f"updated since {started:%H:%M:%S}: {row['number']} {row['status']}")
        if args.shop and args.webhook_secret:
            result = client.push_event(
                args.shop,
                args.webhook_secret,
                {
                    "event_id": f"demo-{order}-message",
                    "event_type": "buyer.message",
                    "occurred_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),  # noqa: UP017
                    "order_ref": order,
                    "buyer": {"buyer_id": args.buyer},
                    "data": {"message": "请问什么时候能到？"},
                },
            )
            print(f"event {result['event_id']}: {result['outcome']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
