"""The language of a parent page: the reader's choice, among the municipality's languages."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from kizuna import request_memo
from municipalities import selectors as municipality_selectors
from subscribers import selectors as subscriber_selectors
from subscribers.views import READER_SESSION_KEY

from . import selectors

_MUNICIPALITY_PAGE = re.compile(r"^/m/(?P<slug>[-\w]+)/")
_READER_PAGES = ("/manage/", "/vaccinations/")
# Read along with the municipality: every parent page asks for its languages.
_SETTINGS = "language_settings"


class ParentLanguageMiddleware:
    """After LocaleMiddleware: on a municipality's pages (``/m/<slug>/``) and a signed-in
    reader's pages, the language is the cookie the switch set, else the reader's own language,
    else the browser's, and always one the municipality offers (Japanese otherwise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(("/m/", *_READER_PAGES)):
            return self.get_response(request)
        # The municipality, its languages and the reader read here are the ones the view uses.
        with request_memo.scope():
            return self._parent_page(request)

    def _parent_page(self, request: HttpRequest) -> HttpResponse:
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
            found = municipality_selectors.by_slug(match["slug"], related=(_SETTINGS,))
            if found is None:
                return None, ""
            selectors.keep_settings(found)
            return found.pk, ""
        if request.path_info.startswith(_READER_PAGES):
            session = getattr(request, "session", None)
            reader_id = session.get(READER_SESSION_KEY) if session is not None else None
            if not reader_id:
                return None, ""
            reader = subscriber_selectors.reader(reader_id, related=(f"municipality__{_SETTINGS}",))
            if reader is not None:
                selectors.keep_settings(reader.municipality)
                return reader.municipality_id, reader.language
        return None, ""
