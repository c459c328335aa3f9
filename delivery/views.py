import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from municipalities.models import Municipality

from . import line_events
from .senders import line
from .webhooks import BadSignature, parse_line_events

logger = logging.getLogger(__name__)


@csrf_exempt  # LINE signs the body with the channel secret; that is the proof, not a session
@require_POST
def line_webhook(request: HttpRequest, slug: str) -> HttpResponse:
    municipality = get_object_or_404(Municipality, slug=slug, line_enabled=True)
    try:
        events = parse_line_events(
            request.body.decode("utf-8"),
            request.headers.get("X-Line-Signature", ""),
            line.channel_secret(slug),
        )
    except (BadSignature, UnicodeDecodeError):
        return JsonResponse({"error": "invalid signature"}, status=400)
    for event in events:
        answer = line_events.handle(municipality, event)
        if answer and getattr(event, "reply_token", ""):
            try:
                line.reply(slug, event.reply_token, answer)
            except Exception:  # a failed reply must not make LINE resend the event
                logger.exception("LINE reply failed for %s", slug)
    return JsonResponse({"status": "ok"})
