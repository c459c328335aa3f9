from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from municipalities.models import Municipality


def home(request: HttpRequest) -> HttpResponse:
    """What Kizuna is, and which municipalities and hospitals run it."""
    municipalities = Municipality.objects.active().order_by("code")
    return render(request, "kizuna/home.html", {"municipalities": municipalities})
