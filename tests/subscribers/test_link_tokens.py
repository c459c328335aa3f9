"""The signed links in every message: made cheaply, read exactly as Django's signed tokens."""

import datetime

import pytest
import time_machine
from django.core import signing
from django.utils.crypto import salted_hmac

from subscribers.tokens import (
    MAX_AGE,
    Purpose,
    TokenError,
    make_token,
    read_token,
    salted_hmac_sha256,
)

NOW = datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC)

# What the delivery engine signs in each mail: the reader, and for feedback the message too.
READER_PAYLOADS = [
    {"s": 1},
    {"s": 987654321},
    {"s": 42, "k": "c42:stage:pregnancy:week:20", "m": 77},
    {"s": 5, "c": 6},
]


@pytest.mark.parametrize("payload", READER_PAYLOADS)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_reader_link_is_the_token_djangos_signer_makes(purpose, payload):
    with time_machine.travel(NOW, tick=False):
        made = make_token(purpose, **payload)
        assert made == signing.dumps(payload, salt=f"kizuna.{purpose}", compress=True)
        assert read_token(purpose, made) == payload


def test_a_long_payload_is_still_compressed_and_read_back():
    profile = {"nick": "はな" * 40, "rel": "self", "lang": "ja", "src": "signup"}
    payload = {"s": 3, "left": "2026-11-01T00:00:00+00:00", "r": profile}
    with time_machine.travel(NOW, tick=False):
        made = make_token(Purpose.CONFIRM, **payload)
        assert made == signing.dumps(payload, salt="kizuna.confirm", compress=True)
        assert made.startswith(".")
        assert read_token(Purpose.CONFIRM, made) == payload


def test_a_link_signed_before_this_change_keeps_working_until_it_expires():
    with time_machine.travel(NOW, tick=False):
        old = signing.dumps({"s": 7}, salt="kizuna.unsubscribe", compress=True)
    lifetime = MAX_AGE[Purpose.UNSUBSCRIBE]
    with time_machine.travel(NOW + lifetime - datetime.timedelta(minutes=1), tick=False):
        assert read_token(Purpose.UNSUBSCRIBE, old) == {"s": 7}
    with time_machine.travel(NOW + lifetime + datetime.timedelta(minutes=1), tick=False):
        with pytest.raises(TokenError) as raised:
            read_token(Purpose.UNSUBSCRIBE, old)
        assert raised.value.expired


def test_a_link_expires_and_a_changed_or_misdirected_one_is_refused():
    with time_machine.travel(NOW, tick=False):
        token = make_token(Purpose.MANAGE, s=7)
    with time_machine.travel(NOW + MAX_AGE[Purpose.MANAGE] + datetime.timedelta(seconds=1)):
        with pytest.raises(TokenError) as raised:
            read_token(Purpose.MANAGE, token)
        assert raised.value.expired
    with time_machine.travel(NOW, tick=False):
        forged = make_token(Purpose.MANAGE, s=8).rsplit(":", 1)[0] + ":" + token.rsplit(":", 1)[1]
        for bad, purpose in [(forged, Purpose.MANAGE), (token, Purpose.UNSUBSCRIBE)]:
            with pytest.raises(TokenError) as raised:
                read_token(purpose, bad)
            assert not raised.value.expired


def test_a_link_follows_a_new_secret_key(settings):
    with time_machine.travel(NOW, tick=False):
        before = make_token(Purpose.MANAGE, s=7)
        settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
        after = make_token(Purpose.MANAGE, s=7)
        assert after != before
        assert after == signing.dumps({"s": 7}, salt="kizuna.manage", compress=True)


def test_the_keyed_hash_is_djangos_salted_hmac():
    expected = salted_hmac("kizuna.delivery.message-id", "12345", algorithm="sha256").digest()
    assert salted_hmac_sha256("kizuna.delivery.message-id", "12345") == expected
