from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from kizuna.ratelimit import allow
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, TokenError, link_lifetime_days, read_token

from . import moves
from .forms import MoveToEmailForm
from .models import ChannelMove

ADDRESSES_PER_READER_PER_HOUR = 5


def _link_problem(request: HttpRequest, *, expired: bool, municipality=None) -> HttpResponse:
    return render(
        request,
        "subscribers/link_problem.html",
        {"expired": expired, "municipality": municipality},
        status=410 if expired else 400,
    )


def _reader_and_move(token: str) -> tuple[Subscriber, ChannelMove]:
    """The reader and the move a personal link stands for; TokenError if it stands for none."""
    payload = read_token(Purpose.CHANNEL_MOVE, token)
    reader = (
        Subscriber.objects.select_related("municipality")
        .filter(pk=payload.get("s"), erased_at__isnull=True)
        .first()
    )
    move = ChannelMove.objects.filter(pk=payload.get("m")).first()
    if reader is None or move is None or move.municipality_id != reader.municipality_id:
        raise TokenError(expired=False)
    return reader, move


def move_to_line(request: HttpRequest, token: str) -> HttpResponse:
    """Step by step: add the LINE account, send this code. Works without JavaScript."""
    try:
        reader, move = _reader_and_move(token)
    except TokenError as error:
        return _link_problem(request, expired=error.expired)
    if move.direction != ChannelMove.Direction.TO_LINE:
        return _link_problem(request, expired=False, municipality=reader.municipality)
    municipality = reader.municipality
    context = {"municipality": municipality, "reader": reader}
    if reader.line_user_id and reader.channel == "line":
        context["done"] = True
    elif not reader.is_active:
        context["left"] = True
    else:
        context["code"] = moves.code_for(move, reader).code
    return render(request, "adoption/move_to_line.html", context)


@require_http_methods(["GET", "POST"])
def move_to_email(request: HttpRequest, token: str) -> HttpResponse:
    """A LINE reader gives the address to receive at; a link mailed there confirms it."""
    try:
        reader, move = _reader_and_move(token)
    except TokenError as error:
        return _link_problem(request, expired=error.expired)
    if move.direction != ChannelMove.Direction.TO_EMAIL:
        return _link_problem(request, expired=False, municipality=reader.municipality)
    municipality = reader.municipality
    context = {
        "municipality": municipality,
        "reader": reader,
        "link_days": link_lifetime_days(Purpose.EMAIL_MOVE),
    }
    if reader.channel == "email":
        context["done"] = True
    elif not reader.is_active:
        context["left"] = True
    else:
        form = MoveToEmailForm(request.POST or None)
        context["form"] = form
        if request.method == "POST" and form.is_valid():
            if not allow(
                "email-move",
                str(reader.pk),
                limit=ADDRESSES_PER_READER_PER_HOUR,
                window_seconds=3600,
            ):
                return render(
                    request, "subscribers/too_many.html", {"municipality": municipality}, status=429
                )
            try:
                moves.request_email(move, reader, form.cleaned_data["email"])
            except moves.MoveRefused as refused:
                form.add_error("email", str(refused))
            else:
                context["sent_to"] = form.cleaned_data["email"].strip()
    status = 400 if "form" in context and context["form"].errors else 200
    return render(request, "adoption/move_to_email.html", context, status=status)


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, so that mail scanners opening the link switch nothing."""
    try:
        email_request = moves.email_request_from_token(token)
    except TokenError as error:
        return _link_problem(request, expired=error.expired)
    reader = email_request.subscriber
    context = {"municipality": reader.municipality, "address": email_request.email}
    if request.method == "POST":
        try:
            moves.confirm_email(email_request.pk)
        except moves.MoveRefused as refused:
            context["problem"] = str(refused)
            return render(request, "adoption/confirm_email_move.html", context, status=409)
        context["done"] = True
    elif email_request.confirmed_at is not None and reader.channel == "email":
        context["done"] = True
    return render(request, "adoption/confirm_email_move.html", context)
