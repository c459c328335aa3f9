from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from content.views import staff_context, staff_page


@staff_page
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "adoption/index.html", staff_context(request, "導入・移行"))
