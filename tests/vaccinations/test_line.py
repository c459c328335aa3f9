"""「接種しました」 in LINE (webhooks signed as LINE signs them, answers through the LINE fake):
the reminder tells how, the quick replies pick the dose, and its reminders stop."""

import datetime

import pytest
import time_machine

from delivery import dispatch, planner
from kizuna import clock
from tests import line_webhooks
from tests.delivery.conftest import LINE_SECRET, family, line_user
from vaccinations.models import DoseRecord

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=clock.TOKYO)
TWO_MONTHS_NEXT_WEEK = datetime.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=True):
        yield


def say(client, user, words):
    with line_webhooks.answers_in_process():
        response = line_webhooks.post(
            client, [line_webhooks.text(user, words)], secret=LINE_SECRET, slug="koto"
        )
    assert response.status_code == 200


def line_family(municipality, n, birth):
    return family(municipality, birth=birth, channel="line", line_user_id=line_user(n), email=None)


def quick_replies(line):
    items = line.reply_messages[-1].get("quickReply", {}).get("items", [])
    return [item["action"]["text"] for item in items]


def test_the_line_reminder_says_how_to_record_and_one_dose_is_recorded_from_its_button(
    client, municipality, texts, line, reminders_on
):
    reader = line_family(municipality, 1, TWO_MONTHS_NEXT_WEEK)
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [(user, text)] = line.received
    assert user == line_user(1)
    assert "来週から受けられる予防接種" in text
    assert "「接種しました」と送ると記録できます" in text

    # A week later, 2 months old: four vaccines are due; the answer offers one button each.
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=True):
        say(client, line_user(1), "接種しました")
        assert "どの予防接種を受けましたか" in line.replies[-1][1]
        buttons = quick_replies(line)
        assert "接種しました 五種混合 1期初回 1回目" in buttons
        assert "接種しました ロタ1価 1回目" in buttons and "接種しました ロタ5価 1回目" in buttons
        assert buttons[-1] == "接種しました ぜんぶ"
        assert not DoseRecord.objects.exists()

        say(client, line_user(1), "接種しました 五種混合 1期初回 1回目")
        record = DoseRecord.objects.get()
        assert (record.dose, record.given_on, record.via) == (
            "dtpipvhib-1",
            datetime.date(2026, 12, 2),
            "line",
        )
        assert record.recorded_by_id == reader.subscriber_id
        assert "記録しました" in line.replies[-1][1] and "/vaccinations/" in line.replies[-1][1]

        say(client, line_user(1), "接種しました ロタ5価 1回目")
        assert DoseRecord.objects.filter(dose="rota5-1").exists()

        say(client, line_user(1), "接種しました　ぜんぶ")  # a full-width space, as phones type
        assert set(DoseRecord.objects.values_list("dose", flat=True)) == {
            "dtpipvhib-1",
            "rota5-1",
            "hepb-1",
            "pcv-1",
        }
        say(client, line_user(1), "予防接種")
        assert "いま受ける時期の予防接種はありません" in line.replies[-1][1]


def test_recorded_doses_leave_the_deadline_reminder(
    client, municipality, texts, line, reminders_on
):
    # One year on Dec 25: B型肝炎 and BCG close on Dec 24, 30 days ahead.
    line_family(municipality, 2, datetime.date(2025, 12, 25))
    say(client, line_user(2), "予防接種")
    assert "B型肝炎 1回目" in line.replies[-1][1] and "BCG" in line.replies[-1][1]
    assert quick_replies(line) == ["接種しました"]
    say(client, line_user(2), "接種しました ぜんぶ")
    assert {"hepb-1", "bcg-1"} <= set(DoseRecord.objects.values_list("dose", flat=True))
    planner.plan_day(clock.today(), [municipality])
    dispatch.dispatch()
    [(_user, text)] = line.received
    # Recorded today, the 2nd B型肝炎 may follow on Dec 21, before the last day: it alone is
    # left; the 3rd (139 days after the 1st) can no longer fit and is not listed.
    assert "B型肝炎 2回目" in text
    assert "B型肝炎 1回目" not in text and "BCG" not in text and "3回目" not in text


def test_words_of_others_and_strangers_are_left_to_the_chat(client, municipality, line):
    say(client, line_user(9), "接種しました")
    assert "まだ登録がありません" in line.replies[-1][1]
    line_family(municipality, 3, TWO_MONTHS_NEXT_WEEK)
    say(client, line_user(3), "設定")
    assert "/manage/" in line.replies[-1][1]
