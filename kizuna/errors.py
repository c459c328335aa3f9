"""The site's own 400, 403, 404 and 500 pages, in Japanese, whether DEBUG is on or off.

Django shows its English debug pages when DEBUG is on, and that is what a parent trying the
embedded demo (`make run`) would meet. Here every error answers with the site's page; under
DEBUG the details a developer needs stay in the log and in a folded section of the page.
"""

from __future__ import annotations

import logging
import traceback

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader

logger = logging.getLogger("django.request")

# Django's debug pages (technical_404/500) all carry this tag; nothing of ours does.
_DEBUG_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


def _page(request: HttpRequest | None, status: int, detail: str = "") -> HttpResponse:
    # Rendered without context processors, as Django's own server_error: a broken database or
    # session must not turn the error page itself into a second error.
    body = loader.get_template(f"{status}.html").render(
        {
            "debug_detail": detail if settings.DEBUG else "",
            "request_path": getattr(request, "path", ""),
        }
    )
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page expired (or without cookies): the 403 page says what to do."""
    return _page(request, 403, reason)


class ErrorPagesMiddleware:
    """Under DEBUG, answer errors with the site's pages instead of Django's debug pages."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, "streaming", False)
            and _DEBUG_PAGE_MARK in response.content
        ):
            # No URL matched: Django answered before any view could raise.
            return _page(request, 404, f"{request.method} {request.path}")
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG:
            return None  # Django's handlers call the views above
        detail = "".join(traceback.format_exception(exception))
        if isinstance(exception, Http404):
            return _page(request, 404, str(exception))
        if isinstance(exception, PermissionDenied):
            return _page(request, 403, str(exception))
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return _page(request, 400, str(exception))
        # What Django does for an uncaught exception: tell listeners (the test client re-raises
        # from this signal) and log it with its traceback.
        got_request_exception.send(sender=None, request=request)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return _page(request, 500, detail)
