"""The language switch on every parent page, and the staff page of readers per language."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from municipalities.access import readable_municipalities
from municipalities.models import Municipality
from municipalities.staff_pages import staff_context, staff_page
from subscribers import services
from subscribers.models import Subscriber
from subscribers.views import READER_SESSION_KEY

from . import selectors


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
def switch(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the pages in another of the municipality's languages, and remember it: a cookie,
    and the reader's own language when they are signed in to their page."""
    municipality = get_object_or_404(Municipality, slug=slug)
    language = request.POST.get("language", "")
    offered = selectors.offered(municipality.pk)
    if language not in offered:
        return HttpResponseBadRequest(
            # The words of every other refused choice, already in each language's catalog.
            _("選択肢の中から選んでください。"),
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponseRedirect(_safe_next(request, f"/m/{municipality.slug}/"))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    reader = (
        Subscriber.objects.filter(
            pk=request.session.get(READER_SESSION_KEY),
            municipality=municipality,
            unsubscribed_at__isnull=True,
        ).first()
        if request.session.get(READER_SESSION_KEY)
        else None
    )
    if reader is not None:
        services.change_language(reader, language)
    translation.activate(language)
    return response


@staff_page
def readers(request: HttpRequest) -> HttpResponse:
    """Per municipality the user may read: its offered languages and readers per language."""
    rows = [
        (municipality, selectors.readers_per_language(municipality.pk))
        for municipality in readable_municipalities(request).order_by("code")
    ]
    return render(
        request,
        "languages/readers.html",
        staff_context(request, "言語ごとの読者数", rows=rows),
    )
