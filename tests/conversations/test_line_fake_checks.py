"""The LINE fake refuses what LINE refuses about quick replies and date pickers, with LINE's
error body (message and the property at fault): otherwise the chat tests could pass against a
fake that accepts messages LINE would refuse."""

import json
import uuid

import pytest
import urllib3

from tests.fakes import FakeLine

TOKEN = "token"


def reply(fake, message) -> tuple[int, dict]:
    answer = urllib3.request(
        "POST",
        fake.url + "/v2/bot/message/reply",
        body=json.dumps({"replyToken": uuid.uuid4().hex, "messages": [message]}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        timeout=5,
    )
    return answer.status, json.loads(answer.data)


def text_with(*actions) -> dict:
    return {
        "type": "text",
        "text": "選んでください",
        "quickReply": {"items": [{"type": "action", "action": a} for a in actions]},
    }


def message(label="妊娠中です", text="妊娠中です") -> dict:
    return {"type": "message", "label": label, "text": text}


def picker(**fields) -> dict:
    return {
        "type": "datetimepicker",
        "label": "日付",
        "data": "kizuna:due",
        "mode": "date",
        **fields,
    }


@pytest.fixture
def fake():
    with FakeLine(tokens={TOKEN}) as line:
        yield line


def test_a_valid_quick_reply_with_a_date_picker_is_accepted(fake):
    picked = picker(initial="2027-04-01", min="2026-10-27", max="2027-09-20")
    assert reply(fake, text_with(message(), picked))[0] == 200
    assert fake.reply_messages[-1]["quickReply"]["items"][1]["action"] == picked


@pytest.mark.parametrize(
    ("actions", "problem", "at"),
    [
        ([message()] * 14, "Size must be between 1 and 13", "quickReply.items"),
        ([], "Size must be between 1 and 13", "quickReply.items"),
        ([message(label="あ" * 21)], "Length must be between 1 and 20", "items[0].action.label"),
        ([message(text="")], "Length must be between 1 and 300", "items[0].action.text"),
        ([{"type": "uri", "label": "a", "uri": "https://x"}], "invalid action", "action.type"),
        ([picker(mode="day")], "must be one of", "items[0].action.mode"),
        ([picker(initial="2027/04/01")], "invalid date format", "action.initial"),
        ([picker(min="2027-04-01", max="2027-04-01")], "greater than min", "action.max"),
        ([picker(initial="2028-01-01", max="2027-04-01")], "between min and max", "initial"),
        ([picker(data="x" * 301)], "Length must be between 1 and 300", "action.data"),
        ([picker(min="1899-12-31")], "out of range", "action.min"),
    ],
)
def test_what_line_refuses_is_refused_with_line_s_error_body(fake, actions, problem, at):
    status, body = reply(fake, text_with(*actions))
    assert status == 400
    assert body["message"] == "The request body has 1 error(s)"
    [detail] = body["details"]
    assert problem in detail["message"]
    assert detail["property"].startswith("messages[0].quickReply") and at in detail["property"]
    assert fake.reply_messages == []
