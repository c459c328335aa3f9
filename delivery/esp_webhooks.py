"""The ESP tracking webhook: only the configured ESP's endpoint, only with its secret, and never
a 500.

anymail's own URLs answer for every ESP it knows, accept anything when ``WEBHOOK_SECRET`` is unset
(with only a warning) and let a malformed body raise (a 500, which ESPs retry). Here anymail
still checks the credentials and normalises the events, but the door is ours: an ESP other than
the one in ``EMAIL_BACKEND`` is not found, a missing secret refuses every call, a body that cannot
be read is a 400, and the events of one call are recorded together or not at all.
"""

from __future__ import annotations

import logging
import re

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, tracking
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailersend import MailerSendTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetTrackingWebhookView
from anymail.webhooks.mandrill import MandrillCombinedWebhookView
from anymail.webhooks.postal import PostalTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from anymail.webhooks.sendinblue import SendinBlueTrackingWebhookView
from anymail.webhooks.sparkpost import SparkPostTrackingWebhookView
from anymail.webhooks.unisender_go import UnisenderGoTrackingWebhookView
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)

TRACKING_VIEWS: dict[str, type[AnymailCoreWebhookView]] = {
    "amazon_ses": AmazonSESTrackingWebhookView,
    "brevo": BrevoTrackingWebhookView,
    "mailersend": MailerSendTrackingWebhookView,
    "mailgun": MailgunTrackingWebhookView,
    "mailjet": MailjetTrackingWebhookView,
    "mandrill": MandrillCombinedWebhookView,
    "postal": PostalTrackingWebhookView,
    "postmark": PostmarkTrackingWebhookView,
    "resend": ResendTrackingWebhookView,
    "sendgrid": SendGridTrackingWebhookView,
    "sendinblue": SendinBlueTrackingWebhookView,
    "sparkpost": SparkPostTrackingWebhookView,
    "unisender_go": UnisenderGoTrackingWebhookView,
}
_ANYMAIL_BACKEND = re.compile(r"anymail\.backends\.(\w+)\.EmailBackend")


def configured_esp() -> str | None:
    """The ESP mail goes through (from ``EMAIL_BACKEND``), or None for SMTP and the like."""
    match = _ANYMAIL_BACKEND.fullmatch(settings.EMAIL_BACKEND)
    return match.group(1) if match and match.group(1) in TRACKING_VIEWS else None


def webhook_secret() -> str:
    return str((getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET") or "")


def setup_problem(esp: str) -> str | None:
    """Why the configured ``esp``'s webhook cannot be trusted, or None when it can."""
    if not webhook_secret():
        return "ANYMAIL_WEBHOOK_SECRET is not set"
    try:
        TRACKING_VIEWS[esp]()  # anymail reads the ESP's own signing key here, if it has one
    except ImproperlyConfigured as error:
        return str(error).splitlines()[0]
    return None


def _refused(status: int, reason: str) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


def _unreadable(events: list[AnymailTrackingEvent]) -> bool:
    # Every tracking event a real ESP sends names the message it is about; anymail turns a body
    # it does not recognise into an event naming none (or into no events at all). Amazon SES's
    # subscription confirmations are the one call that legitimately carries no event.
    if not events:
        return True
    return not all(_names_a_message(getattr(event, "message_id", None)) for event in events)


def _names_a_message(message_id: object) -> bool:
    return isinstance(message_id, str) and bool(message_id.strip()) and "\x00" not in message_id


@csrf_exempt  # the ESP proves itself with the webhook secret (and its signature), not a session
def tracking_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    if esp != configured_esp():
        return _refused(404, "not found")
    if request.method == "HEAD":  # some ESPs check the URL exists when it is configured
        return HttpResponse()
    if request.method != "POST":
        return _refused(405, "method not allowed")
    problem = setup_problem(esp)
    if problem is not None:
        logger.error("ESP tracking webhook refused: %s", problem)
        return _refused(403, "webhook not configured")
    view = TRACKING_VIEWS[esp]()
    view.setup(request)
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure:
        return _refused(403, "invalid credentials")
    except Exception:  # a body that breaks a signature check is malformed, not our failure
        logger.warning("ESP tracking webhook: unreadable request for %s", esp)
        return _refused(400, "malformed request")
    try:
        events = view.parse_events(request)
    except Exception:
        logger.warning("ESP tracking webhook: unreadable events for %s", esp)
        return _refused(400, "malformed request")
    if _unreadable(events) and not (esp == "amazon_ses" and not events):
        logger.warning("ESP tracking webhook: events naming no message for %s", esp)
        return _refused(400, "malformed request")
    if view.signal not in (None, tracking):  # Mandrill's combined endpoint: inbound mail
        events = []
    try:
        with transaction.atomic():
            for event in events:
                tracking.send(sender=type(view), event=event, esp_name=view.esp_name)
    except DatabaseError:
        logger.exception("ESP tracking webhook: could not record events")
        return _refused(503, "try again later")
    return HttpResponse()
