"""Every webhook endpoint, called as an attacker or a broken provider would: unconfigured ESPs,
missing secrets, wrong credentials, malformed bodies with valid credentials or a valid
signature. Never a 500; every refused call leaves every table as it was."""

import base64
import hashlib
import hmac
import json
import subprocess
import sys

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from delivery import compose, dispatch, planner
from delivery.esp_webhooks import TRACKING_VIEWS
from delivery.models import Delivery
from kizuna import clock
from subscribers.models import Subscriber
from tests.delivery.conftest import LINE_SECRET, due_for, family, line_user
from tests.kizuna.test_settings import PRODUCTION_ENV, ROOT

from .tables import changed, row_counts

pytestmark = pytest.mark.django_db

SECRET = ("hook", "secret")
# The signing keys anymail itself needs for the ESPs that sign their calls.
SIGNING_KEYS = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-key",
    "MAILERSEND_SIGNING_SECRET": "mailersend-secret",
    "POSTAL_WEBHOOK_KEY": base64.b64encode(b"not a real public key").decode(),
    "MANDRILL_WEBHOOK_KEY": "mandrill-key",
    "RESEND_SIGNING_SECRET": "whsec_" + base64.b64encode(b"resend-secret").decode(),
    "UNISENDER_GO_API_KEY": "unisender-key",
    "BREVO_API_KEY": "brevo-key",
}
MALFORMED = [
    ("application/json", b""),
    ("application/json", b"not json"),
    ("application/json", b"null"),
    ("application/json", b"[]"),
    ("application/json", b"{}"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b'{"RecordType": "Bounce"}'),
    ("application/json", b'{"RecordType": "Bounce", "MessageID": {"a": [1]}}'),
    ("application/json", b'{"RecordType": "SpamComplaint", "MessageID": "\\u0000"}'),
    ("application/json", b"\xff\xfe\x00garbage"),
    ("application/json", b"[" * 5000),
    ("application/x-www-form-urlencoded", b"event=bounced&message-id=%00"),
    ("text/plain", b"\x00" * 100),
]


def _basic(auth=SECRET) -> dict:
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _complaint(message_id: str) -> bytes:
    return json.dumps(
        {
            "RecordType": "SpamComplaint",
            "MessageID": message_id,
            "Recipient": "x@example.jp",
            "Type": "SpamComplaint",
            "TypeCode": 512,
        }
    ).encode()


@pytest.fixture
def sent_mail(municipality, texts, postmark, morning):
    """A reader with one mail sent through Postmark: what a forged complaint would stop."""
    family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    dispatch.dispatch()
    return Delivery.objects.get()


def _untouched(delivery: Delivery) -> None:
    delivery.refresh_from_db()
    assert delivery.feedback == ""
    assert Subscriber.objects.get(pk=delivery.subscriber_id).channel_stopped_at is None


def test_without_its_secret_the_tracking_webhook_refuses_everything(sent_mail, settings):
    settings.ANYMAIL = {k: v for k, v in settings.ANYMAIL.items() if k != "WEBHOOK_SECRET"}
    before = row_counts()
    for headers in ({}, _basic(), _basic(("", ""))):
        response = Client().post(
            "/webhooks/anymail/postmark/tracking/",
            _complaint(sent_mail.provider_message_id),
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 403
    _untouched(sent_mail)
    assert changed(before, row_counts()) == {}
    # With the secret, the same call is believed.
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:secret"}
    response = Client().post(
        "/webhooks/anymail/postmark/tracking/",
        _complaint(sent_mail.provider_message_id),
        content_type="application/json",
        **_basic(),
    )
    assert response.status_code == 200
    sent_mail.refresh_from_db()
    assert sent_mail.feedback == "complained"


def test_message_ids_are_stable_per_delivery_and_unguessable(sent_mail):
    first = compose.message_id(sent_mail)
    assert first == compose.message_id(Delivery.objects.get(pk=sent_mail.pk))  # every attempt
    neighbour = Delivery(pk=sent_mail.pk + 1, municipality=sent_mail.municipality)
    assert compose.message_id(neighbour) != first
    assert "delivery-" not in first and f"-{sent_mail.pk}@" not in first


def test_a_complaint_naming_a_guessed_message_id_changes_nothing(sent_mail):
    guesses = [
        f"<kizuna-delivery-{sent_mail.pk}@city.koto.example.jp>",
        f"kizuna-delivery-{sent_mail.pk}@city.koto.example.jp",
    ]
    for guess in guesses:
        response = Client().post(
            "/webhooks/anymail/postmark/tracking/",
            _complaint(guess),
            content_type="application/json",
            **_basic(),
        )
        assert response.status_code == 200  # authentic call, unknown message: nothing to do
    _untouched(sent_mail)


def _deploy_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in __import__("os").environ.items() if k != "DEBUG"}, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_warns_when_the_esps_webhook_secret_is_missing():
    esp = {
        **PRODUCTION_ENV,
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "token",
    }
    missing = _deploy_check(esp)
    assert missing.returncode != 0
    assert "kizuna.W001" in missing.stdout + missing.stderr
    assert "ANYMAIL_WEBHOOK_SECRET" in missing.stdout + missing.stderr
    with_secret = _deploy_check({**esp, "ANYMAIL_WEBHOOK_SECRET": "hook:secret"})
    assert with_secret.returncode == 0, with_secret.stdout + with_secret.stderr


def test_endpoints_of_providers_not_configured_are_not_found(sent_mail, settings):
    # Postmark is configured: every other ESP's endpoint, and every inbound one, is absent.
    before = row_counts()
    paths = [f"/webhooks/anymail/{esp}/tracking/" for esp in TRACKING_VIEWS if esp != "postmark"]
    paths += [f"/webhooks/anymail/{esp}/inbound/" for esp in TRACKING_VIEWS]
    paths += ["/webhooks/anymail/mandrill/", "/webhooks/anymail/mailgun/inbound_mime/"]
    for path in paths:
        for content_type, body in MALFORMED[:6]:
            for headers in ({}, _basic()):
                response = Client().post(path, body, content_type=content_type, **headers)
                assert response.status_code == 404, (path, body)
    # SMTP configured: no ESP endpoint at all.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    response = Client().post(
        "/webhooks/anymail/postmark/tracking/",
        _complaint(sent_mail.provider_message_id),
        content_type="application/json",
        **_basic(),
    )
    assert response.status_code == 404
    _untouched(sent_mail)
    assert changed(before, row_counts()) == {}


@pytest.mark.parametrize("esp", sorted(TRACKING_VIEWS))
def test_every_esps_endpoint_refuses_malformed_calls_with_valid_credentials(
    esp, sent_mail, settings
):
    settings.EMAIL_BACKEND = f"anymail.backends.{esp}.EmailBackend"
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        **SIGNING_KEYS,
        "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
    }
    path = (
        "/webhooks/anymail/mandrill/" if esp == "mandrill" else f"/webhooks/anymail/{esp}/tracking/"
    )
    before = row_counts()
    for content_type, body in MALFORMED:
        for headers in (_basic(), {}, _basic(("hook", "wrong"))):
            response = Client().post(path, body, content_type=content_type, **headers)
            assert 400 <= response.status_code < 500, (esp, body[:40], response.status_code)
    assert Client().get(path, **_basic()).status_code == 405
    _untouched(sent_mail)
    assert changed(before, row_counts()) == {}


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@seed(21)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["RecordType", "MessageID", "Type", "TypeCode", "Recipient", "x"]),
                children,
                max_size=5,
            )
        ),
        max_leaves=12,
    )
)
def test_fuzzed_postmark_events_with_valid_credentials_never_fail_or_stop_mail(body, sent_mail):
    before = row_counts()
    response = Client().post(
        "/webhooks/anymail/postmark/tracking/",
        json.dumps(body),
        content_type="application/json",
        **_basic(),
    )
    assert response.status_code in (200, 400), response.status_code
    _untouched(sent_mail)  # no body names the real Message-ID: nothing may change
    assert changed(before, row_counts()) == {}


# LINE ----------------------------------------------------------------------------------------


def _line_post(body: bytes, slug: str = "koto", secret: str = LINE_SECRET):
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    return Client().post(
        f"/webhooks/line/{slug}/",
        body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=signature.decode(),
    )


def _event(kind: str, user: object, **extra) -> dict:
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": 1764000000000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01HX0000000000000000000000",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "r" * 32,
    }
    event.update(extra)
    return event


LINE_MALFORMED = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'{"events": "x"}',
    b'{"events": [1]}',
    b'{"events": [{"type": "follow"}]}',
    json.dumps({"events": [_event("unfollow", "U" + "0" * 31 + "\u0000")]}).encode(),
    json.dumps({"events": [_event("unfollow", "U" + "a" * 300)]}).encode(),
    json.dumps({"events": [_event("unfollow", {"id": 1})]}).encode(),
    json.dumps(
        {
            "events": [
                _event(
                    "message",
                    line_user(1),
                    message={
                        "type": "text",
                        "id": "1",
                        "text": "配信停止\u0000",
                        "quoteToken": "q",
                    },
                )
            ]
        }
    ).encode(),
    b"\xff\xfe",
    b"[" * 5000,
]


def test_line_webhook_refuses_malformed_signed_bodies_and_changes_nothing(
    municipality, line, morning
):
    reader = family(
        municipality, due=due_for(20), channel="line", line_user_id=line_user(1), email=None
    ).subscriber
    before = row_counts()
    for body in LINE_MALFORMED:
        response = _line_post(body)
        assert 400 <= response.status_code < 500, (body[:60], response.status_code)
        # Unsigned, or signed with another secret: refused too.
        assert _line_post(body, secret="not-the-secret").status_code == 400
    assert Client().get("/webhooks/line/koto/").status_code == 405
    assert _line_post(b"{}", slug="nowhere").status_code == 404
    reader.refresh_from_db()
    assert reader.channel_stopped_at is None and reader.unsubscribed_at is None
    assert changed(before, row_counts()) == {}
    assert line.received == []


def test_line_webhook_of_a_municipality_without_its_secret_refuses(municipality, monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_SECRET_KOTO")
    before = row_counts()
    body = json.dumps({"events": [_event("unfollow", line_user(1))]}).encode()
    assert _line_post(body, secret="").status_code == 400
    assert changed(before, row_counts()) == {}
