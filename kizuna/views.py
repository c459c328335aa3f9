from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static

from municipalities.models import Municipality


def home(request: HttpRequest) -> HttpResponse:
    """What Kizuna is, and which municipalities and hospitals run it."""
    municipalities = Municipality.objects.active().order_by("code")
    return render(request, "kizuna/home.html", {"municipalities": municipalities})


def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponsePermanentRedirect(static("kizuna/favicon.svg"))
