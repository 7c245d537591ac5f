"""Every API error as problem details (RFC 9457, ``application/problem+json``):
``{"type", "title", "status", "detail", "instance", "errors"}``, where ``errors`` maps each
field (dotted for nested ones, ``non_field_errors`` for the whole) to its messages."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.http.request import RawPostDataException
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_TYPE = "https://csmanage.invalid/problems/"
CONTENT_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


#: Service refusals that are about the resource's state, not the request: 409.
CONFLICT_CODES = {"illegal_transition", "closed_for_good"}

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure → ``{"customer.buyer_id": ["…"]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for field, value in errors.items():
            name = f"{prefix}.{field}" if prefix else str(field)
            flat.update(_flatten(value, name))
    elif isinstance(errors, list) and errors and all(isinstance(e, (dict, list)) for e in errors):
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}[{index}]"))
    else:
        messages = errors if isinstance(errors, list) else [errors]
        flat[prefix or "non_field_errors"] = [str(message) for message in messages]
    return flat


def _from_django(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        codes = {getattr(exc, "code", None)} | {
            getattr(error, "code", None)
            for errors in getattr(exc, "error_dict", {}).values()
            for error in errors
        }
        if codes & CONFLICT_CODES:
            return Conflict(detail=" ".join(exc.messages))
        return exceptions.ValidationError(detail=detail)
    if isinstance(exc, RequestDataTooBig):
        return TooLarge(detail=_("The request body is too large."))
    if isinstance(exc, RawPostDataException):
        return exceptions.ParseError()
    return exc


def problem_response(
    status_code: int, detail: str, *, code: str, instance: str = "", errors=None, headers=None
) -> Response:
    body = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _from_django(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    if request is not None and not isinstance(
        getattr(request, "accepted_renderer", None), JSONRenderer
    ):
        # A problem is JSON even where the view answers otherwise (the schema's YAML).
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), CONTENT_TYPE
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = _("The request has invalid fields: see “errors”.")
        code = "invalid"
    elif isinstance(exc, Http404):
        detail, code = _("No such resource."), "not_found"
    else:
        detail = str(getattr(exc, "detail", "")) or TITLES.get(response.status_code, "")
        code = (
            getattr(exc, "default_code", None)
            if not isinstance(exc, PermissionDenied)
            else "permission_denied"
        ) or "error"
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        if isinstance(codes, str):
            code = codes
    headers = {
        name: value
        for name, value in response.headers.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    return problem_response(
        response.status_code, detail, code=code, instance=instance, errors=errors, headers=headers
    )


@csrf_exempt  # else a POST to an unknown path is refused as HTML before it gets here
def api_not_found(request, exception=None) -> JsonResponse:
    """Unknown paths under /api/ answer as problems too (the HTML 404 elsewhere), whatever
    the method; a path that exists with a slash at its end says so."""
    detail = _("No such resource.")
    if not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail = _("No such resource: API paths end with a slash (“%(path)s/”).") % {
                "path": request.path
            }
    return JsonResponse(
        {
            "type": PROBLEM_TYPE + "not_found",
            "title": TITLES[404],
            "status": 404,
            "detail": detail,
            "instance": request.get_full_path(),
        },
        status=404,
        content_type=CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
