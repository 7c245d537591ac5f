"""``Idempotency-Key`` on POST: the first response to a key is kept; a repeat with the same
key and body gets it again (with ``Idempotent-Replayed: true``) instead of acting twice; the
same key with a different request is refused (422). The same JSON is the same body, however
it is spaced or its keys ordered. Concurrent twins wait for the first (the unique index
holds the second insert until the first commits), then replay it."""

import functools
import hashlib
import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.response import Response

from csmanage.problems import Unprocessable
from tickets.api.parsers import json_document
from tickets.models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "幂等键（1–255 个可见 ASCII 字符）：同一键同一请求体重复提交只执行一次，返回第一次的响应。"
        " / Idempotency key (1–255 visible ASCII characters): repeating a request with the same "
        "key and body acts once and returns the first response."
    ),
)


def _fingerprint(request, body: bytes) -> str:
    return hashlib.sha256(
        b"\n".join([request.method.encode(), request.path.encode(), body])
    ).hexdigest()


def _canonical(body: bytes) -> bytes:
    """The body's JSON written one way (sorted keys, no spaces), or the body itself when
    it is no JSON: a client retrying may serialise the same data differently."""
    try:
        document = json_document(body)
    except exceptions.ParseError:
        return body
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def _owner(request) -> dict:
    if isinstance(request.auth, ApiKey):
        return {"api_key": request.auth, "user": None}
    return {"api_key": None, "user": request.user}


def idempotent(view_method):
    """Wrap a POST handler (``def create(self, request, …)``)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        if not VALID_KEY.match(key):
            raise exceptions.ValidationError({HEADER: [_("Use 1–255 visible ASCII characters.")]})
        body = request.body
        fingerprint = _fingerprint(request, _canonical(body))
        owner = _owner(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        fingerprint=fingerprint,
                        **owner,
                    )
            except IntegrityError:
                record = IdempotencyRecord.objects.get(key=key, **owner)
                # (Records kept from before bodies were made canonical have the raw body's.)
                if record.fingerprint not in (fingerprint, _fingerprint(request, body)):
                    raise Unprocessable(
                        _("This Idempotency-Key was used for a different request.")
                    ) from None
                return Response(
                    record.body,
                    status=record.status_code,
                    headers={**record.headers, "Idempotent-Replayed": "true"},
                )
            response = view_method(self, request, *args, **kwargs)
            record.status_code = response.status_code
            record.body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
            record.headers = {
                name: value for name, value in response.headers.items() if name == "Location"
            }
            record.save(update_fields=["status_code", "body", "headers"])
        return response

    return wrapper
