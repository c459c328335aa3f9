import logging

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from municipalities.models import Municipality

from . import line_events, tasks
from .senders import line
from .webhooks import BadPayload, BadSignature, parse_line_events

logger = logging.getLogger(__name__)
# LINE hides the loading animation when the answer arrives; this is only its longest showing.
LOADING_SECONDS = 20
# The animation is asked for inside LINE's webhook call, so it may not hold that call for long.
LOADING_CALL_TIMEOUT = 3.0


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
    except BadPayload:
        return JsonResponse({"error": "malformed events"}, status=400)
    options = line.account_options(municipality.pk)
    if options.push_only:
        # The account's webhook belongs to another tool; a call here means its URL was pointed
        # at Kizuna by mistake. Refused whole, so LINE's console shows it, and nothing applied.
        logger.warning(
            "LINE webhook for %s refused: the account is push-only (%d events not processed)",
            slug,
            len(events),
        )
        return JsonResponse(
            {"error": "push-only: this account's webhook is not Kizuna's"}, status=403
        )
    try:
        with transaction.atomic():  # one call's events apply together or not at all
            line_events.tap(municipality, request.body.decode("utf-8"))
            answers = [(event, line_events.handle(municipality, event)) for event in events]
    except DatabaseError:
        logger.exception("LINE webhook for %s could not be recorded", slug)
        return JsonResponse({"error": "try again later"}, status=503)
    # Answers leave the request: a slow reply API must not hold LINE's webhook call open (LINE
    # redelivers what it thinks went unanswered).
    animated: set[str] = set()  # one animation per user and call, however many events
    for event, answer in answers:
        reply_token: str = getattr(event, "reply_token", "")  # an unfollow has none
        if answer is None or not reply_token:
            continue
        personal_chat = not getattr(event, "in_group", False)
        read_token = getattr(event, "mark_as_read_token", "") if options.mark_as_read else ""
        if personal_chat and options.loading_animation and event.user_id not in animated:
            # The answer waits for a worker: the animation says so until it arrives.
            animated.add(event.user_id)
            line.show_loading(slug, event.user_id, LOADING_SECONDS, LOADING_CALL_TIMEOUT)
        try:
            tasks.answer_on_line.delay(
                slug,
                reply_token,
                event.user_id if personal_chat else "",
                answer.text,
                answer.buttons(),
                read_token if personal_chat else "",
            )
        except Exception:  # the broker is down: the event is applied, only the answer is lost
            logger.exception("LINE answer for %s could not be queued", slug)
    return JsonResponse({"status": "ok"})
