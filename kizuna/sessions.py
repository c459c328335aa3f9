"""Sessions written when they change, and otherwise only to push their idle expiry on.

``SESSION_COOKIE_AGE`` is an idle timeout: a session ends that long after its last request.
Django's ``SESSION_SAVE_EVERY_REQUEST`` keeps it so by writing the session on every request: an
UPDATE of one row for each page a reader opens (and, with several tabs on one session, writers
queueing on that row and its dead versions piling up). Here a session that did not change is
written again only once its last write is :func:`refresh_seconds` old, so the idle timeout ends
between ``SESSION_COOKIE_AGE`` minus that and ``SESSION_COOKIE_AGE`` after the last request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse

# When the session was last written (seconds since the epoch), kept in the session itself so
# that it works the same with every session engine.
WRITTEN_AT = "_kizuna_written_at"


def refresh_seconds() -> int:
    """How stale a session's last write may get before a request writes it again."""
    return min(60, settings.SESSION_COOKIE_AGE // 10)


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and response.status_code < 500:
            _stamp_if_due(request, session)
        return super().process_response(request, response)


def _stamp_if_due(request: HttpRequest, session) -> None:
    """Mark the session for writing (Django's middleware then saves it and renews the cookie)
    when it changed, or when it came with the request and its last write is getting old."""
    now = int(time.time())
    if session.modified:
        if not session.is_empty():
            session[WRITTEN_AT] = now
        return
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    written_at = session.get(WRITTEN_AT)  # loads a session this request did not read
    if session.is_empty():  # unknown or expired: Django's middleware drops the cookie
        return
    if not isinstance(written_at, int) or now - written_at >= refresh_seconds():
        session[WRITTEN_AT] = now
