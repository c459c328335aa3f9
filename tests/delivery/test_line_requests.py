"""The LINE requests the sender builds itself: the very JSON line-bot-sdk's models would send,
over one kept-alive connection per channel, paced in runs of slots reserved together."""

import pytest
from linebot.v3.messaging import MulticastRequest, PushMessageRequest

from delivery import dispatch, planner
from delivery.senders.line import (
    QuickButton,
    _base_path,
    line_message,
    line_message_json,
    request_json,
)
from tests.delivery.conftest import TODAY, due_for, family, line_user

pytestmark = pytest.mark.django_db

PICKER = QuickButton(
    "出産予定日を選ぶ", data="kizuna:due", initial="2027-05-01", earliest="2026-11-01",
    latest="2027-09-01",
)  # fmt: skip
BUTTON_SETS = [
    (),
    (QuickButton.postback("役に立った", "kizuna-feedback:yes:1"),),
    (QuickButton.message("はい"), PICKER, QuickButton.postback("いまひとつ", "x:no")),
    # Over LINE's limits: 14 buttons, labels over 20 characters (trimmed alike).
    tuple(
        QuickButton.message(f"とても長いボタンのラベルです、二十字を超えます{n}") for n in range(14)
    ),
]


@pytest.mark.parametrize("buttons", BUTTON_SETS)
@pytest.mark.parametrize("flex", [False, True])
def test_a_message_is_the_json_of_the_sdks_model(buttons, flex):
    text = "はなさん、こんにちは。\n\n## 妊娠20週\n\n赤ちゃんは約300gです。"
    assert line_message_json(text, "妊娠20週0日", flex, buttons) == (
        line_message(text, "妊娠20週0日", flex, buttons).to_dict()
    )


@pytest.mark.parametrize("units", [None, ["p_w20"]])
def test_push_and_multicast_bodies_are_the_json_of_the_sdks_requests(units):
    message = line_message_json("こんにちは", "", False, BUTTON_SETS[1])
    sdk_message = line_message("こんにちは", "", False, BUTTON_SETS[1])
    one, many = [line_user(1)], [line_user(n) for n in range(3)]
    assert (
        request_json(one, message, units)
        == PushMessageRequest(
            to=one[0], messages=[sdk_message], custom_aggregation_units=units
        ).to_dict()
    )
    assert (
        request_json(many, message, units)
        == MulticastRequest(
            to=many, messages=[sdk_message], custom_aggregation_units=units
        ).to_dict()
    )


def test_a_channels_requests_share_one_connection_across_batches(
    municipality, texts, line, morning
):
    for n in range(12):  # a nickname each: a push each
        family(
            municipality, due=due_for(20), channel="line", line_user_id=line_user(n), email=None,
            nickname=f"はな{n}",
        )  # fmt: skip
    planner.plan_day(TODAY, [municipality])
    report = dispatch.dispatch(batch_size=4)
    assert report.batches == 3 and report.outcomes == {"sent": 12}
    assert line.requests["/v2/bot/message/push"] == 12
    assert line.connections == 1


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        ("https://api.line.me", ""),
        ("http://127.0.0.1:8080/", ""),
        ("https://gateway.example.lg.jp/line/", "/line"),
    ],
)
def test_requests_keep_the_path_of_line_api_base_url(base_url, prefix):
    # Behind a municipality's gateway the API lives under a path, as the SDK would reach it.
    assert _base_path(base_url) + "/v2/bot/message/push" == f"{prefix}/v2/bot/message/push"
