"""Stage texts as Flex Messages where the municipality turns it on: a header with the stage, the
body, the notices and buttons; identical texts still share one multicast, a reader's nickname
still costs a push; too big a bubble goes as the plain text. Sent through the LINE fake, which
checks Flex JSON as LINE's reference defines it."""

import json

import pytest
from django.test import Client

from delivery import dispatch, line_flex, planner
from line_accounts import selectors
from municipalities.models import ConsultationContact
from tests import line_webhooks as hooks
from tests.delivery.conftest import LINE_SECRET, TODAY, due_for, family, line_user

pytestmark = pytest.mark.django_db


def readers_at_week_20(municipality, count=6, named=()):
    for n in range(count):
        family(
            municipality,
            due=due_for(20),
            channel="line",
            line_user_id=line_user(n),
            email=None,
            nickname="はな" if n in named else "",
        )


def flex_on(municipality):
    settings = selectors.of(municipality)
    settings.flex_messages = True
    settings.save()


def test_stage_texts_go_as_flex_messages_and_identical_ones_share_one_multicast(
    municipality, texts, line, morning
):
    flex_on(municipality)
    readers_at_week_20(municipality, named={0})
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 6}
    assert dict(line.requests) == {"/v2/bot/message/multicast": 1, "/v2/bot/message/push": 1}
    messages = [message for _, message in line.sent_messages]
    assert all(m["type"] == "flex" for m in messages)
    bubble = messages[0]["contents"]
    assert bubble["header"]["contents"][0]["text"] == "妊娠20週0日"
    assert messages[0]["altText"].startswith("妊娠20週0日　妊娠20週：テスト")
    assert len(messages[0]["altText"]) <= line_flex.ALT_TEXT_LIMIT
    buttons = [b["action"] for b in bubble["footer"]["contents"]]
    assert buttons == [
        {"type": "message", "label": "設定", "text": "設定"},
        {"type": "message", "label": "相談窓口", "text": "相談窓口"},
    ]
    shown = dict(line.received)
    assert "江東区の保健センターへどうぞ" in shown[line_user(1)]
    assert "はな" in shown[line_user(0)] and "はな" not in shown[line_user(1)]


def test_without_the_switch_the_same_readers_get_the_plain_text(municipality, texts, line, morning):
    readers_at_week_20(municipality)
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert dict(line.requests) == {"/v2/bot/message/multicast": 1}
    assert {m["type"] for _, m in line.sent_messages} == {"text"}
    assert line.sent_messages[0][1]["text"].startswith("【妊娠20週：テスト】")


def test_the_contacts_button_answers_in_the_chat(municipality, texts, line, morning):
    ConsultationContact.objects.create(municipality=municipality, name="保健相談所", phone="03-1")
    readers_at_week_20(municipality, count=1)
    with hooks.answers_in_process():
        hooks.post(Client(), [hooks.text(line_user(0), "相談窓口")], secret=LINE_SECRET)
    assert "保健相談所 03-1" in line.replies[-1][1]


SAMPLE = (
    "【妊娠20週：テスト】\n\n本文です。\n\n━━━━━━━━━━\n江東区からのお知らせ\n━━━━━━━━━━\n"
    "◆ 教室\n両親学級があります。\n\n――――\nこんにちは赤ちゃんメール（江東区）\n"
    "江東区 子ども家庭部\n「設定」と送ると登録内容の変更、「配信停止」と送ると配信の停止ができます。"
)


def test_the_bubble_holds_the_notice_and_the_sender_but_not_the_command_line():
    flex = line_flex.stage_flex(SAMPLE, "妊娠20週0日")
    shown = json.dumps(flex, ensure_ascii=False)
    assert "江東区からのお知らせ" in shown and "両親学級があります。" in shown
    assert "江東区 子ども家庭部" in shown and "配信停止" not in shown


def test_a_bubble_over_line_s_size_limit_falls_back_to_the_plain_text():
    huge = SAMPLE.replace("本文です。", "あ" * 12000)
    assert line_flex.stage_flex(huge, "妊娠20週0日") is None
    assert line_flex.stage_flex("見出しのない文", "妊娠20週0日") is None


@pytest.mark.parametrize(
    ("key", "header"),
    [
        ("c1:stage:pregnancy:week:20", "妊娠20週0日"),
        ("c1:stage:child:month:4", "生後4か月"),
        ("c1:stage:child:month:18", "1歳6か月"),
        ("c1:stage:child:day:3", "生後3日"),
        ("c1:birthday:1", "1歳の誕生日"),
        ("special:welcome", ""),
    ],
)
def test_the_header_names_the_stage(key, header):
    assert line_flex.stage_header(key) == header
