"""Request bodies as JSON, bounded: a document nested deeper than ``MAX_DEPTH``, a number
that is no finite float, or an integer too long to read is a 400 (``ParseError``), never a
``RecursionError`` or a ``ValueError`` left to become a 500."""

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: Objects and arrays inside each other, at most. The API's own bodies are three deep; a
#: platform event's ``data`` may be deeper, but not this deep.
MAX_DEPTH = 32


def _refuse_constant(name: str) -> float:
    raise ValueError(_("%(name)s is not a JSON number.") % {"name": name})


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(_("%(number)s is too large a number.") % {"number": text[:20]})
    return value


def _too_deep(document: Any) -> bool:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def json_document(text: str | bytes) -> Any:
    """The JSON document in ``text`` (bytes are UTF-8), or ``ParseError``."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except RecursionError:
        document = None
        too_deep = True
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, a 5,000-digit int…
        raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error}) from None
    else:
        too_deep = _too_deep(document)
    if too_deep:
        raise ParseError(
            _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
        )
    return document


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the bounds of ``json_document`` (in the request's charset)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as error:
            message = _("The body is not valid JSON: %(error)s") % {"error": error}
            raise ParseError(message) from None
        return json_document(text)
