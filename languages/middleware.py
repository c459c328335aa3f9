"""The language of a parent page: the reader's choice, among the municipality's languages."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from municipalities.models import Municipality
from subscribers.models import Subscriber
from subscribers.views import READER_SESSION_KEY

from . import selectors

_MUNICIPALITY_PAGE = re.compile(r"^/m/(?P<slug>[-\w]+)/")
_READER_PAGES = ("/manage/", "/vaccinations/")


class ParentLanguageMiddleware:
    """After LocaleMiddleware: on a municipality's pages (``/m/<slug>/``) and a signed-in
    reader's pages, the language is the cookie the switch set, else the reader's own language,
    else the browser's, and always one the municipality offers (Japanese otherwise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        municipality_id, reader_language = self._whose_page(request)
        if municipality_id is not None:
            offered = selectors.offered(municipality_id)
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or reader_language
            language = chosen if chosen in offered else translation.get_language()
            if language not in offered:
                language = "ja"
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def _whose_page(request: HttpRequest) -> tuple[int | None, str]:
        match = _MUNICIPALITY_PAGE.match(request.path_info)
        if match:
            found = (
                Municipality.objects.filter(slug=match["slug"]).values_list("pk", flat=True).first()
            )
            return found, ""
        if request.path_info.startswith(_READER_PAGES):
            session = getattr(request, "session", None)
            reader_id = session.get(READER_SESSION_KEY) if session is not None else None
            if reader_id:
                row = (
                    Subscriber.objects.filter(pk=reader_id)
                    .values_list("municipality_id", "language")
                    .first()
                )
                if row:
                    return row[0], row[1]
        return None, ""
