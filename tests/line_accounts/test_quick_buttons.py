"""One QuickButton type for every quick reply Kizuna sends (message, postback and date-picker
actions), and one place that keeps them within LINE's limits (13 buttons, labels of 20
characters), checked by the LINE fake as LINE's reference defines quick replies."""

import pytest

from delivery.senders import line as line_sender
from delivery.senders.line import QuickButton
from tests.delivery.conftest import line_user

pytestmark = pytest.mark.django_db

PICKER = {
    "label": "出産予定日を選ぶ",
    "data": "kizuna:due",
    "initial": "2027-05-01",
    "min": "2026-11-01",
    "max": "2027-09-01",
}


def test_too_many_buttons_and_too_long_labels_are_kept_within_lines_limits(municipality, line):
    buttons = tuple(f"とても長いボタンのラベルです、二十字を超えます{n}" for n in range(14))
    assert line_sender.answer("koto", "reply-1", line_user(1), "どうぞ", buttons) == "replied"
    items = line.reply_messages[0]["quickReply"]["items"]
    assert len(items) == 13
    assert all(len(i["action"]["label"]) <= 20 for i in items)
    assert items[0]["action"]["text"] == buttons[0]  # the whole text still goes back


def test_message_postback_and_date_picker_buttons_are_what_line_accepts(municipality, line):
    assert line_sender.answer("koto", "reply-2", line_user(1), "どうぞ", ("本人", PICKER)) == (
        "replied"
    )
    kinds = [i["action"]["type"] for i in line.reply_messages[0]["quickReply"]["items"]]
    assert kinds == ["message", "datetimepicker"]
    vote = QuickButton.postback("役に立った", "feedback:1:up").action().to_dict()
    assert vote == {
        "type": "postback",
        "label": "役に立った",
        "data": "feedback:1:up",
        "displayText": "役に立った",
    }
    assert line_sender.quick_reply([]) is None
