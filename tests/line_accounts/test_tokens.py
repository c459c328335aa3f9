"""Channel access tokens Kizuna issues for itself, so connecting it never reissues (and so never
invalidates) the long-lived token another tool holds: v2.1 by a JWT assertion (RS256, kid,
iss = sub = channel id, aud, exp within 30 minutes, token_exp within 30 days), renewed by beat
before it expires and revoked only by its own key id; stateless tokens (15 minutes); and the
static token from the environment as before. The LINE fake implements both token endpoints and
answers 401 to an expired or unknown token."""

import datetime
import json

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa

from delivery import dispatch, planner
from delivery.models import Delivery
from delivery.senders.line import channel_access_token
from kizuna import clock
from line_accounts import selectors, tokens
from line_accounts.models import ChannelToken
from tests.delivery.conftest import LINE_SECRET, LINE_TOKEN, MORNING, due_for, family, line_user

pytestmark = pytest.mark.django_db

CHANNEL_ID = "2000123456"
KID = "536e453c-aa93-4449-8e90-add2608783c6"


@pytest.fixture(scope="module")
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def v21(municipality, line, private_key, monkeypatch):
    """The account set to v2.1, its signing key in the environment as LINE's console gives it
    (a private JWK), the public half registered with the fake under its kid."""
    monkeypatch.setenv("LINE_CHANNEL_ID_KOTO", CHANNEL_ID)
    monkeypatch.setenv("LINE_ASSERTION_KEY_KOTO", jwt.algorithms.RSAAlgorithm.to_jwk(private_key))
    monkeypatch.setenv("LINE_ASSERTION_KID_KOTO", KID)
    line.assertion_keys[KID] = (CHANNEL_ID, private_key.public_key())
    line.channels[CHANNEL_ID] = LINE_SECRET
    line.tokens.discard(LINE_TOKEN)  # the other tool's token: Kizuna must not need it
    account = selectors.of(municipality)
    account.token_kind = "v2.1"
    account.save()
    return account


def send_week_20(municipality, n=3):
    for i in range(n):
        family(municipality, due=due_for(20), channel="line", line_user_id=line_user(i), email=None)
    planner.plan_day(clock.today(), [municipality])
    return dispatch.dispatch().outcomes


def test_stage_texts_go_out_with_a_v21_token_kizuna_issued_itself(municipality, texts, line, v21):
    with time_machine.travel(MORNING, tick=True):
        assert send_week_20(municipality) == {"sent": 3}
    assert line.issued == {"v2.1": 1}
    row = ChannelToken.objects.get()
    assert row.kind == "v2.1" and row.key_id in line.v21_keys
    token = line.v21_keys[row.key_id]
    assert token not in row.encrypted_token  # stored encrypted
    assert row.expires_at - row.issued_at == datetime.timedelta(days=30)
    with time_machine.travel(MORNING + datetime.timedelta(hours=2), tick=True):
        assert channel_access_token("koto") == token  # kept, not issued again
    assert line.issued == {"v2.1": 1}


def test_the_assertion_is_what_line_asks_for(municipality, v21, private_key):
    with time_machine.travel(MORNING, tick=False):
        assertion = tokens.assertion("koto", token_lifetime=datetime.timedelta(days=90))
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(
            assertion, private_key.public_key(), algorithms=["RS256"], audience=tokens.AUDIENCE
        )
        now = int(MORNING.timestamp())
    assert header == {"alg": "RS256", "typ": "JWT", "kid": KID}
    assert claims["iss"] == claims["sub"] == CHANNEL_ID
    assert claims["aud"] == "https://api.line.me/"
    assert 0 < claims["exp"] - now <= 30 * 60
    assert claims["token_exp"] == 30 * 24 * 3600  # capped at LINE's 30 days


def test_beat_renews_before_expiry_and_revokes_only_its_own_older_token(municipality, line, v21):
    with time_machine.travel(MORNING, tick=False):
        first = channel_access_token("koto")
        assert tokens.renew_all().issued == 0  # 30 days left: nothing to do
    first_key = ChannelToken.objects.get().key_id
    line.tokens.add("the-other-tools-token")
    with time_machine.travel(MORNING + datetime.timedelta(days=24), tick=False):
        assert tokens.renew_all().issued == 1
        second = channel_access_token("koto")
    assert second != first and line.issued == {"v2.1": 2}
    with time_machine.travel(MORNING + datetime.timedelta(days=24, hours=2), tick=False):
        assert tokens.renew_all() == tokens.Renewal(issued=0, revoked=1, failed=0)
        assert tokens.renew_all() == tokens.Renewal()  # twice changes nothing
    assert line.revoked_keys == [first_key]
    assert first not in line.tokens and second in line.tokens
    assert "the-other-tools-token" in line.tokens


def test_an_expired_token_is_refused_by_line_and_never_handed_out(municipality, line, v21):
    with time_machine.travel(MORNING, tick=False):
        first = channel_access_token("koto")
    # Past its 30 days (beat did not run): LINE answers 401, and Kizuna issues a fresh one.
    with time_machine.travel(MORNING + datetime.timedelta(days=31), tick=False):
        assert not line._authorised({"Authorization": f"Bearer {first}"})
        second = channel_access_token("koto")
        assert second != first and line._authorised({"Authorization": f"Bearer {second}"})


def test_an_unknown_kid_issues_nothing_and_the_sender_retries_later(
    municipality, texts, line, v21, monkeypatch
):
    monkeypatch.setenv("LINE_ASSERTION_KID_KOTO", "not-registered")
    with time_machine.travel(MORNING, tick=True):
        assert send_week_20(municipality) == {"retry": 3}
    assert line.issued == {} and not ChannelToken.objects.exists()
    assert line.received == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"planned"}


def test_a_private_key_given_as_pem_works_too(municipality, line, v21, private_key, monkeypatch):
    from cryptography.hazmat.primitives import serialization

    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    monkeypatch.setenv("LINE_ASSERTION_KEY_KOTO", pem)
    with time_machine.travel(MORNING, tick=False):
        assert channel_access_token("koto").startswith("v2.1-")


def test_stateless_tokens_last_15_minutes_and_are_issued_again_when_spent(
    municipality, texts, line, monkeypatch
):
    monkeypatch.setenv("LINE_CHANNEL_ID_KOTO", CHANNEL_ID)
    line.channels[CHANNEL_ID] = LINE_SECRET
    line.tokens.discard(LINE_TOKEN)
    account = selectors.of(municipality)
    account.token_kind = "stateless"
    account.save()
    with time_machine.travel(MORNING, tick=True):
        assert send_week_20(municipality) == {"sent": 3}
        first = channel_access_token("koto")
    assert line.issued == {"stateless": 1}
    with time_machine.travel(MORNING + datetime.timedelta(minutes=13), tick=False):
        second = channel_access_token("koto")  # 2 minutes left: too few for a batch
    assert second != first and line.issued == {"stateless": 2}
    assert tokens.renew_all() == tokens.Renewal()  # beat never revokes a stateless token
    assert first in line.tokens


def test_the_static_token_from_the_environment_still_works(municipality, texts, line):
    with time_machine.travel(MORNING, tick=True):
        assert send_week_20(municipality) == {"sent": 3}
    assert line.issued == {} and not ChannelToken.objects.exists()
    assert channel_access_token("koto") == LINE_TOKEN


def test_the_fake_refuses_an_assertion_lasting_over_30_minutes(
    municipality, line, v21, private_key
):
    import urllib.parse
    import urllib.request

    with time_machine.travel(MORNING, tick=False):
        now = int(MORNING.timestamp())
        too_long = jwt.encode(
            {"iss": CHANNEL_ID, "sub": CHANNEL_ID, "aud": tokens.AUDIENCE,
             "exp": now + 3600, "token_exp": 3600},
            private_key, algorithm="RS256", headers={"kid": KID},
        )  # fmt: skip
        body = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_assertion_type": tokens.ASSERTION_TYPE,
                "client_assertion": too_long,
            }
        ).encode()
        request = urllib.request.Request(line.url + "/oauth2/v2.1/token", data=body)  # noqa: S310
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=3)  # noqa: S310 (the loopback fake)
    assert refused.value.code == 400
    assert "30 minutes" in json.loads(refused.value.read())["error_description"]
