"""LINE webhooks as LINE really sends them: redelivered, out of order, from groups, and answered
outside the request. Bodies are built with line-bot-sdk's models and signed as LINE signs."""

import datetime
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from delivery import dispatch, planner
from delivery.models import Delivery
from delivery.senders import line as line_sender
from kizuna import clock
from subscribers import line_chat
from subscribers.models import Subscriber
from tests import line_webhooks as hooks
from tests.delivery.conftest import LINE_SECRET, LINE_TOKEN, TODAY, due_for, family, line_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

MINUTE = 60_000  # LINE's timestamps are in milliseconds


def post(events):
    with hooks.answers_in_process():
        return hooks.post(Client(), events, secret=LINE_SECRET)


def _events_recorded() -> int:
    from delivery.models import LineWebhookEvent

    return LineWebhookEvent.objects.count()


def reader_on_line(municipality, n=3, **fields):
    subscription = family(
        municipality,
        due=due_for(20),
        channel="line",
        line_user_id=line_user(n),
        email=None,
        **fields,
    )
    return Subscriber.objects.get(pk=subscription.subscriber_id)


def test_a_redelivered_unfollow_never_stops_a_reader_who_followed_again(
    municipality, texts, line, morning
):
    reader = reader_on_line(municipality)
    blocked = hooks.unfollow(line_user(3), at=hooks.EPOCH_MS)
    assert post([blocked]).status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).channel_stopped_at is not None
    assert post([hooks.follow(line_user(3), at=hooks.EPOCH_MS + MINUTE)]).status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).channel_stopped_at is None
    replies = len(line.replies)

    assert post([hooks.redelivered(blocked)]).status_code == 200  # LINE sends it again
    assert Subscriber.objects.get(pk=reader.pk).channel_stopped_at is None
    assert len(line.replies) == replies
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert [user for user, _ in line.received] == [line_user(3)]  # today's message, once


def test_an_older_block_arriving_after_a_newer_follow_is_not_applied(
    municipality, texts, line, morning
):
    reader = reader_on_line(municipality)
    post([hooks.follow(line_user(3), at=hooks.EPOCH_MS + 2 * MINUTE)])
    post([hooks.unfollow(line_user(3), at=hooks.EPOCH_MS)])  # a different event, but older
    assert Subscriber.objects.get(pk=reader.pk).channel_stopped_at is None
    post([hooks.unfollow(line_user(3), at=hooks.EPOCH_MS + 3 * MINUTE)])  # a real, newer block
    assert Subscriber.objects.get(pk=reader.pk).channel_stopped_at is not None
    assert _events_recorded() == 3


def test_a_redelivered_command_is_applied_and_answered_once(municipality, texts, line, caplog):
    reader = reader_on_line(municipality)
    confirm = hooks.text(line_user(3), "配信停止する")
    post([confirm])
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is not None
    with caplog.at_level(logging.INFO):
        post([hooks.redelivered(confirm), hooks.redelivered(confirm)])
    assert len(line.replies) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _events_recorded() == 1


def test_a_spent_or_expired_reply_token_falls_back_to_a_push_without_error_spam(
    municipality, line, caplog
):
    first = line_sender.answer("koto", "token-1", line_user(4), "こんにちは")
    with caplog.at_level(logging.INFO):
        again = line_sender.answer("koto", "token-1", line_user(4), "もう一度")
        line.expired_tokens.add("token-2")
        late = line_sender.answer("koto", "token-2", line_user(4), "遅れて")
        in_group = line_sender.answer("koto", "token-1", "", "グループへ")
    assert (first, again, late, in_group) == ("replied", "pushed", "pushed", "refused")
    assert [text for _, text in line.received] == ["もう一度", "遅れて"]  # never to a group
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.django_db(transaction=True)
def test_the_webhook_answers_at_once_while_the_reply_api_is_slow(municipality, line, tmp_path):
    """A real worker, in its own process as in production, sends the answers."""
    line.faults.delay_seconds = 3.0  # LINE's reply API is slow today
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DEBUG": "true",
        "KIZUNA_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "LINE_API_BASE_URL": line.url,
        "LINE_CHANNEL_ACCESS_TOKEN_KOTO": LINE_TOKEN,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kizuna",
            "worker",
            "--pool=solo",
            "-n",
            "line@test",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # A first call loads the view and the SDK's models: not what is measured.
        assert hooks.post(Client(), [], secret=LINE_SECRET).status_code == 200
        events = [hooks.follow(line_user(n)) for n in range(3)]
        started = time.monotonic()
        response = hooks.post(Client(), events, secret=LINE_SECRET)
        seconds = time.monotonic() - started
        assert response.status_code == 200
        assert seconds < 1.5, seconds  # replies inline took 9 s for these three
        deadline = time.monotonic() + 90
        while len(line.replies) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert len(line.replies) == 3
    assert all("友だち追加ありがとうございます" in text for _, text in line.replies)


# Groups and rooms: nothing personal, for every command ------------------------------------------

# Every command the chat knows (line_chat.COMMANDS, checked below), as typed, and a link code.
COMMANDS_AS_TYPED = [
    "配信停止",
    "停止",
    "配信を停止",
    "stop",
    "配信停止する",
    "停止する",
    "配信を続ける",
    "続ける",
    "やめる",
    "配信再開",
    "再開",
    "配信を再開",
    "配信を再開する",
    "元に戻す",
    "設定",
    "登録内容",
    "変更",
    "settings",
]
EVERY_COMMAND = [*COMMANDS_AS_TYPED, "「配信停止」", "ＳＥＴＴＩＮＧＳ", "ABCD-EFGH"]


def test_the_list_above_is_every_command_the_chat_knows():
    assert set(COMMANDS_AS_TYPED) == line_chat.COMMANDS


@pytest.mark.parametrize("where", ["group", "room"])
@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_no_command_in_a_group_or_room_gets_anything_personal(
    municipality, texts, line, morning, where, command
):
    reader = reader_on_line(municipality, nickname="はな")
    before = Subscriber.objects.filter(pk=reader.pk).values().get()
    assert post([hooks.text(line_user(3), command, where=where)]).status_code == 200
    after = Subscriber.objects.filter(pk=reader.pk).values().get()
    assert before == after  # no stop, no undo, no link bound
    for _, reply in line.replies:
        assert not re.search(r"https?://", reply)
        assert "1対1のトーク" in reply
    assert line.received == []  # no push either
    # A command gets the neutral answer; anything else (a link code) no answer at all.
    assert len(line.replies) == (0 if command == "ABCD-EFGH" else 1)


def test_settings_in_a_group_is_neutral_but_in_the_one_to_one_chat_is_the_link(
    municipality, texts, line
):
    reader_on_line(municipality)
    post([hooks.text(line_user(3), "設定", where="group")])
    post([hooks.text(line_user(3), "設定")])
    assert "1対1のトーク" in line.replies[0][1]
    assert "/manage/" in line.replies[1][1]


# Stopping from the chat --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["配信停止", "「配信停止」", "『配信停止』", "配信 停止", "配信　停止", " ｓｔｏｐ ", "STOP"],
)
def test_stop_as_typed_asks_once_with_quick_replies(municipality, texts, line, typed):
    reader = reader_on_line(municipality)
    post([hooks.text(line_user(3), typed)])
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is None
    [message] = line.reply_messages
    assert "停止しますか" in message["text"]
    buttons = [item["action"]["text"] for item in message["quickReply"]["items"]]
    assert buttons == ["配信停止する", "配信を続ける"]
    post([hooks.text(line_user(3), buttons[1])])
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is None
    post([hooks.text(line_user(3), buttons[0])])
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is not None


def test_a_stop_from_the_chat_can_be_undone_the_same_day(municipality, texts, line, morning):
    reader = reader_on_line(municipality)
    planner.plan_day(TODAY, [municipality])  # today's message is waiting
    post([hooks.text(line_user(3), "配信停止する")])
    assert Delivery.objects.get(subscriber=reader).status == "skipped"
    [*_, stopped] = line.reply_messages
    assert [i["action"]["text"] for i in stopped["quickReply"]["items"]] == ["配信再開"]
    with time_machine.travel(clock.now() + datetime.timedelta(hours=3)):
        post([hooks.text(line_user(3), "配信再開")])
        assert "再開しました" in line.replies[-1][1]
        again = Subscriber.objects.get(pk=reader.pk)
        assert again.is_active and again.subscriptions.filter(ended_at=None).count() == 1
        dispatch.dispatch()
    assert [user for user, _ in line.received] == [line_user(3)]  # today's message, once


def test_a_stop_made_before_the_days_plan_and_undone_after_it_still_gets_the_days_message(
    municipality, texts, line
):
    reader = reader_on_line(municipality)
    with time_machine.travel(datetime.datetime(2026, 11, 24, 6, 0, tzinfo=clock.TOKYO)):
        post([hooks.text(line_user(3), "配信停止する")])
    with time_machine.travel(datetime.datetime(2026, 11, 24, 9, 0, tzinfo=clock.TOKYO)):
        planner.plan_due()  # 07:30 came and went without this reader
        assert not Delivery.objects.filter(subscriber=reader).exists()
        # Someone who joined after the day's plan starts tomorrow, whatever others do today.
        newcomer = reader_on_line(municipality, n=8)
        Subscriber.objects.filter(pk=newcomer.pk).update(confirmed_at=clock.now())
        post([hooks.text(line_user(3), "配信再開")])
        dispatch.dispatch()
    assert [user for user, _ in line.received] == [line_user(3)]
    assert not Delivery.objects.filter(subscriber=newcomer).exists()


def test_the_next_day_a_stop_can_no_longer_be_undone_from_the_chat(municipality, texts, line):
    reader = reader_on_line(municipality)
    with time_machine.travel(datetime.datetime(2026, 11, 24, 22, 0, tzinfo=clock.TOKYO)):
        post([hooks.text(line_user(3), "配信停止する")])
    with time_machine.travel(datetime.datetime(2026, 11, 25, 8, 0, tzinfo=clock.TOKYO)):
        post([hooks.text(line_user(3), "配信再開")])
    assert "当日だけ" in line.replies[-1][1]
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is not None


def test_event_ids_are_forgotten_by_the_nightly_task_after_their_days(municipality, line):
    from delivery import tasks

    post([hooks.follow(line_user(5))])
    with time_machine.travel(clock.now() + datetime.timedelta(days=6)):
        tasks.roll_up_deliveries()
        assert _events_recorded() == 1
    with time_machine.travel(clock.now() + datetime.timedelta(days=8)):
        tasks.roll_up_deliveries()
        assert _events_recorded() == 0
