from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from ams.core.display_styles import CODES, style_from_header


class PrivatePagesMiddleware:
    """Pages shown to a signed-in user are never stored by a browser or a proxy cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, private"
        return response


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is a 400 before anything reads it.

    No field of AMS holds one, and PostgreSQL refuses one in any text value, so a view that passed
    ``?sku=%00`` on to a query failed with a 500. Refused here, once, rather than in every view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                "The address holds a NUL character, which no page accepts.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class DisplayStyleMiddleware:
    """Numbers and dates in the style the user chose on their profile, else their browser's.

    The style is a language of ``settings.LANGUAGES`` whose text is English (ams.core.display_styles).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = getattr(request.user, "display_style", "") if request.user.is_authenticated else ""
        style = (
            chosen
            if chosen in CODES
            else style_from_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        )
        with translation.override(style):
            request.LANGUAGE_CODE = style
            response = self.get_response(request)
        if not chosen:
            patch_vary_headers(response, ("Accept-Language",))
        return response
