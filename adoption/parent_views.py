from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from subscribers.models import Subscriber
from subscribers.tokens import Purpose, TokenError, read_token

from . import moves
from .models import ChannelMove


def move_to_line(request: HttpRequest, token: str) -> HttpResponse:
    """Step by step: add the LINE account, send this code. Works without JavaScript."""
    try:
        payload = read_token(Purpose.CHANNEL_MOVE, token)
    except TokenError as error:
        return render(
            request,
            "subscribers/link_problem.html",
            {"expired": error.expired},
            status=410 if error.expired else 400,
        )
    reader = (
        Subscriber.objects.select_related("municipality")
        .filter(pk=payload.get("s"), erased_at__isnull=True)
        .first()
    )
    move = ChannelMove.objects.filter(pk=payload.get("m")).first()
    if reader is None or move is None or move.municipality_id != reader.municipality_id:
        return render(request, "subscribers/link_problem.html", {"expired": False}, status=400)
    municipality = reader.municipality
    context = {"municipality": municipality, "reader": reader}
    if reader.line_user_id and reader.channel == "line":
        context["done"] = True
    elif not reader.is_active:
        context["left"] = True
    else:
        context["code"] = moves.code_for(move, reader).code
    return render(request, "adoption/move_to_line.html", context)
