"""The relay to the municipality's other LINE tool: every event goes on, signed as LINE signs,
once, in order per user, through 5xx answers and timeouts of the other tool."""

import datetime
import json
import time
from collections import defaultdict

import pytest
import time_machine
from django.test import Client
from linebot.v3.webhook import SignatureValidator

from line_accounts import relay, selectors
from line_accounts.models import RelayEvent
from tests import line_webhooks as hooks
from tests.delivery.conftest import LINE_SECRET, line_user
from tests.fakes import FakeHttpService

pytestmark = pytest.mark.django_db

A, B = line_user(1), line_user(2)


class FakeOtherTool(FakeHttpService):
    """Another vendor's webhook endpoint: refuses a body whose X-Line-Signature the channel
    secret does not verify (line-bot-sdk's validator, as such a tool would use), records the
    events it accepted; ``faults.plan`` makes it answer 500 or hang instead (nothing accepted)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.validator = SignatureValidator(secret)
        self.accepted: list[dict] = []
        self.refused = 0

    def takes_raw(self, path: str) -> bool:
        return True

    def handle_raw(self, method, path, headers, raw):
        fault = self.faults.next()
        if fault == "500":
            return 500, {"message": "Internal server error"}, {}
        if fault == "hang":
            time.sleep(self.faults.hang_seconds)
            return 504, {}, {}
        signature = {k.lower(): v for k, v in headers.items()}.get("x-line-signature", "")
        if not self.validator.validate(raw.decode(), signature):
            self.refused += 1
            return 401, {"message": "invalid signature"}, {}
        with self.lock:
            self.accepted.extend(json.loads(raw)["events"])
        return 200, {}, {}


def events_accepted(tool: FakeOtherTool, secret: str) -> list[dict]:
    return list(tool.accepted)


def post(events):
    with hooks.answers_in_process():
        assert hooks.post(Client(), events, secret=LINE_SECRET).status_code == 200


@pytest.fixture
def other_tool(municipality, settings):
    settings.KIZUNA_LINE_RELAY_TIMEOUT_SECONDS = 1
    with FakeOtherTool(LINE_SECRET) as tool:
        tool.faults.hang_seconds = 2
        account = selectors.of(municipality)
        account.relay_url = tool.url + "/line/webhook"
        account.save()
        yield tool


def test_every_event_reaches_the_other_tool_once_and_in_order_per_user_through_failures(
    municipality, texts, line, morning, other_tool
):
    first = hooks.follow(A)
    post([first])
    post([hooks.text(B, "こんにちは"), hooks.text(A, "妊娠中です")])
    post([hooks.text(A, "本人"), hooks.follow(B)])
    post([hooks.redelivered(first)])  # LINE sends one again: kept once
    assert RelayEvent.objects.count() == 5
    assert line.replies  # Kizuna answered the events itself too

    other_tool.faults.plan = ["500", "hang", "500", "hang"]
    when = morning
    for _ in range(40):
        with time_machine.travel(when, tick=False):
            relay.send_pending(municipality)
        if not RelayEvent.objects.filter(sent_at__isnull=True).exists():
            break
        when += datetime.timedelta(minutes=5)
    assert not RelayEvent.objects.filter(sent_at__isnull=True).exists()

    accepted = events_accepted(other_tool, LINE_SECRET)
    ids = [e["webhookEventId"] for e in accepted]
    assert len(ids) == len(set(ids)) == 5  # none lost, none twice
    order: dict[str, list[str]] = defaultdict(list)
    for event in accepted:
        order[event["source"]["userId"]].append(event.get("message", {}).get("text", event["type"]))
    assert order[A] == ["follow", "妊娠中です", "本人"]
    assert order[B] == ["こんにちは", "follow"]
    assert other_tool.refused == 0  # every body verified with the channel secret
    assert RelayEvent.objects.filter(attempts__gt=1).exists()  # the failures were retried


def test_a_user_s_later_event_waits_behind_a_failing_one(
    municipality, texts, line, morning, other_tool
):
    post([hooks.text(A, "一通目"), hooks.text(B, "別の人"), hooks.text(A, "二通目")])
    other_tool.faults.plan = ["500"]
    result = relay.send_pending(municipality)
    assert (result.sent, result.failed, result.waiting) == (1, 1, 1)  # B went; A's second waits
    assert relay.failing([municipality.pk]) == {municipality.pk: 1}
    [sent] = events_accepted(other_tool, LINE_SECRET)
    assert sent["source"]["userId"] == B


def test_a_wrong_secret_is_refused_by_the_other_tool_and_retried(
    municipality, texts, line, morning, other_tool
):
    other_tool.validator = SignatureValidator("another-secret")
    post([hooks.follow(A)])
    result = relay.send_pending(municipality)
    assert (result.sent, result.failed) == (0, 1) and other_tool.refused == 1
    [kept] = RelayEvent.objects.all()
    assert kept.sent_at is None and "HTTP 401" in kept.last_error


def test_without_a_relay_nothing_is_kept(municipality, texts, line, morning):
    post([hooks.follow(A)])
    assert not RelayEvent.objects.exists()


def test_relay_failures_show_on_the_operations_dashboard(
    municipality, texts, line, morning, other_tool
):
    from tests.staff.conftest import make_user

    post([hooks.follow(A)])
    other_tool.faults.plan = ["500"]
    relay.send_pending(municipality)
    operator = make_user("operator", is_superuser=True)
    client = Client()
    client.force_login(operator)
    page = client.get("/ops/").content.decode()
    assert "ほかのLINEツールへのイベント転送" in page
    assert "HTTP 500" in page
