"""Readers who share a stage share one rendering: each still gets one honorific, never two."""

import pytest

from delivery import dispatch, planner
from kizuna import clock
from tests.delivery.conftest import due_for, family, line_user

pytestmark = pytest.mark.django_db


def test_nicknames_with_and_without_an_honorific_in_one_morning(
    municipality, texts, smtp, line, morning
):
    called = {
        "はなちゃん": "はなちゃん",
        "たろうくん": "たろうくん",
        "はな": "はなさん",
        "ゆうと": "ゆうとさん",
    }
    for n, nickname in enumerate(called):
        family(municipality, due=due_for(20), nickname=nickname, email=f"r{n}@example.jp")
    family(
        municipality,
        due=due_for(20),
        nickname="みおちゃん",
        channel="line",
        line_user_id=line_user(1),
        email=None,
    )
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 5}
    greetings = sorted(
        m.get_body(preferencelist=("plain",)).get_content().splitlines()[0] for m in smtp.messages
    )
    assert greetings == sorted(f"{name}、こんにちは。" for name in called.values())
    [(_, line_text)] = line.received
    assert "みおちゃん、こんにちは。" in line_text and "ちゃんさん" not in line_text
    for message in smtp.messages:
        for part in ("plain", "html"):
            body = message.get_body(preferencelist=(part,)).get_content()
            assert "ちゃんさん" not in body and "くんさん" not in body
