"""Pages for a developer's machine only (DEBUG): the local mailbox of `make run`."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from . import mailbox


def _only_in_debug() -> None:
    if not settings.DEBUG:
        raise Http404


def mailbox_list(request: HttpRequest) -> HttpResponse:
    _only_in_debug()
    return render(
        request,
        "kizuna/mailbox.html",
        {"mails": mailbox.mails(), "folder": mailbox.folder(), "backend": settings.EMAIL_BACKEND},
    )


def mailbox_message(request: HttpRequest, name: str) -> HttpResponse:
    _only_in_debug()
    found = mailbox.mail(name)
    if found is None:
        raise Http404
    return render(request, "kizuna/mailbox_message.html", {"mail": found})


def mailbox_html(request: HttpRequest, name: str) -> HttpResponse:
    """The HTML part as the reader's mail program shows it: its inline styles allowed, no script."""
    _only_in_debug()
    found = mailbox.mail(name)
    if found is None or not found.html:
        raise Http404
    response = HttpResponse(found.html)
    response._csp_update = {"style-src": ["'unsafe-inline'"]}
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
