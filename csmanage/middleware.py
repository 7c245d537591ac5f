from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageMiddleware:
    """Chinese unless the user chose otherwise.

    Pages follow the language cookie set by the language switcher, else ``LANGUAGE_CODE``
    (zh-hans) — not the browser's Accept-Language, so a team's screens look the same on
    every desk. API clients may still ask for a language with Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            language = (
                translation.get_supported_language_variant(chosen)
                if chosen and translation.check_for_language(chosen)
                else settings.LANGUAGE_CODE
            )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
