"""Schemathesis hooks (loaded through ``SCHEMATHESIS_HOOKS``): requests to the inbound
events endpoint go to the test shop and are signed with its webhook secret, as a shop would
sign them, so the fuzzer reaches the event mapping instead of stopping at the signature.

The shop and its secret come from ``CSMANAGE_ST_SHOP`` and ``CSMANAGE_ST_SECRET``."""

import hashlib
import hmac
import json
import os
import time

import schemathesis
from schemathesis.core import NotSet

INBOUND_PATH = "/api/v1/shops/{code}/events/"


def _wire_body(body) -> bytes:
    """The bytes the requests transport will send for this JSON body."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, NotSet):
        return b""
    if body is None:
        return b"null"
    return json.dumps(body, allow_nan=False).encode()


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != INBOUND_PATH or "CSMANAGE_ST_SECRET" not in os.environ:
        return
    case.path_parameters = {**(case.path_parameters or {}), "code": os.environ["CSMANAGE_ST_SHOP"]}
    timestamp = str(int(time.time()))
    digest = hmac.new(
        os.environ["CSMANAGE_ST_SECRET"].encode(),
        timestamp.encode() + b"." + _wire_body(case.body),
        hashlib.sha256,
    )
    case.headers = {
        **(case.headers or {}),
        "X-CSManage-Timestamp": timestamp,
        "X-CSManage-Signature": f"sha256={digest.hexdigest()}",
    }
