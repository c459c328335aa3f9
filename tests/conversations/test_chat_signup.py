"""Signing up, settings, stopping, inviting family and a loss report, all inside the LINE chat:
signed webhook calls to the real view, answers through the LINE fake (which checks quick
replies and date pickers as LINE's API reference defines them)."""

import datetime
import re
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from conversations.models import Conversation
from delivery import dispatch, planner
from municipalities.models import ConsultationContact
from subscribers.line_chat import IN_GROUP
from subscribers.models import Child, Subscriber
from tests import line_webhooks as hooks
from tests.delivery.conftest import LINE_SECRET, TODAY, due_for, family, line_user

pytestmark = pytest.mark.django_db

USER = line_user(7)


def send(*events):
    with hooks.answers_in_process():
        response = hooks.post(Client(), list(events), secret=LINE_SECRET)
    assert response.status_code == 200
    return response


def say(words, user=USER):
    event = hooks.text(user, words)
    send(event)
    return event


def pick(data, day, user=USER):
    send(hooks.postback(user, data, date=day.isoformat()))


def last(line) -> dict:
    return line.reply_messages[-1]


def labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def picker(message: dict) -> dict:
    [action] = [
        item["action"]
        for item in message["quickReply"]["items"]
        if item["action"]["type"] == "datetimepicker"
    ]
    return action


def step() -> str | None:
    conversation = Conversation.objects.filter(line_user_id=USER).first()
    return conversation.step if conversation else None


def test_a_follower_expecting_a_baby_signs_up_in_a_few_taps_and_receives_today_s_message(
    municipality, texts, line, morning
):
    send(hooks.follow(USER))
    greeting = last(line)
    assert "友だち追加ありがとうございます" in greeting["text"]
    assert labels(greeting) == ["妊娠中です", "生まれています"]

    say("妊娠中です")
    date_question = picker(last(line))
    assert date_question == {
        "type": "datetimepicker",
        "label": "出産予定日を選ぶ",
        "data": "kizuna:due",
        "mode": "date",
        "initial": (TODAY + datetime.timedelta(days=200)).isoformat(),
        "min": (TODAY - datetime.timedelta(days=28)).isoformat(),
        "max": (TODAY + datetime.timedelta(days=300)).isoformat(),
    }

    pick("kizuna:due", due_for(20))
    assert "出産予定日は" in last(line)["text"]
    assert labels(last(line))[:3] == ["本人", "パートナー", "祖父母"]

    say("本人")
    consent = last(line)
    assert "http://testserver/m/koto/privacy/" in consent["text"] or re.search(
        r"https?://\S+/m/koto/privacy/", consent["text"]
    )
    assert labels(consent) == ["同意して登録", "やめる"]
    assert not Subscriber.objects.exists()  # nothing is registered before consent

    say("同意して登録")
    assert "登録が完了しました" in last(line)["text"]
    reader = Subscriber.objects.get(line_user_id=USER)
    assert reader.channel == "line" and reader.email is None
    assert reader.confirmed_at is not None  # LINE vouched for the account: no mail to click
    assert reader.consent_policy_version == settings.KIZUNA_PRIVACY_POLICY_VERSION
    assert reader.relationship == Subscriber.Relationship.SELF
    [child] = Child.objects.filter(subscriptions__subscriber=reader)
    assert child.due_date == due_for(20) and child.status == Child.Status.EXPECTING
    assert not Conversation.objects.exists()

    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert USER in {user for user, _ in line.received}


def test_a_parent_whose_baby_is_born_types_the_date_and_signs_up_as_partner(
    municipality, texts, line, morning
):
    send(hooks.follow(USER))
    say("生まれています")
    birth_question = picker(last(line))
    assert birth_question["max"] == TODAY.isoformat()
    assert birth_question["min"] < (TODAY - datetime.timedelta(days=365)).isoformat()
    say("令和8年10月1日")  # typed, as on a LINE without quick reply buttons
    say("パートナー")
    say("同意して登録")
    reader = Subscriber.objects.get(line_user_id=USER)
    assert reader.relationship == Subscriber.Relationship.PARTNER
    [child] = Child.objects.filter(subscriptions__subscriber=reader)
    assert child.birth_date == datetime.date(2026, 10, 1) and child.status == Child.Status.BORN


def test_every_bad_input_gets_a_clear_answer_and_registers_nothing(
    municipality, texts, line, morning
):
    send(hooks.follow(USER))
    say("こんにちは")  # typed where a tap is expected
    assert "選択肢にない内容でした" in last(line)["text"]
    assert labels(last(line)) == ["妊娠中です", "生まれています"] and step() == "situation"

    say("妊娠中です")
    pick("kizuna:due", TODAY + datetime.timedelta(days=400))
    assert "300日以内" in last(line)["text"] and step() == "due"
    assert picker(last(line))["data"] == "kizuna:due"  # asked again, with the picker
    pick("kizuna:due", TODAY - datetime.timedelta(days=60))
    assert "4週間以上前" in last(line)["text"] and step() == "due"
    say("あした")
    assert "日付として読み取れませんでした" in last(line)["text"] and step() == "due"
    pick("kizuna:birth", TODAY)  # a picker of another step
    assert "次の質問" in last(line)["text"] and step() == "due"

    say("はじめから")  # a restart halfway
    assert "はじめからやり直します" in last(line)["text"] and step() == "situation"
    say("生まれています")
    pick("kizuna:birth", TODAY + datetime.timedelta(days=1))
    assert "未来の日付" in last(line)["text"] and step() == "birth"
    pick("kizuna:birth", TODAY - datetime.timedelta(days=365 * 9))
    assert "配信の対象は" in last(line)["text"] and step() == "birth"
    pick("kizuna:birth", TODAY - datetime.timedelta(days=30))
    assert step() == "relationship"
    say("母")
    assert "選択肢にない内容でした" in last(line)["text"] and step() == "relationship"
    say("祖父母")
    say("はい")
    assert "同意して登録" in last(line)["text"] and step() == "consent"

    send(hooks.follow(USER))  # a second follow halfway: starts over, says so
    assert "途中までの入力はいったん取り消しました" in last(line)["text"]
    assert step() == "situation"
    say("やめる")
    assert "登録を取りやめました" in last(line)["text"] and step() is None
    assert not Subscriber.objects.exists() and not Child.objects.exists()


def test_a_picker_tapped_after_the_conversation_lapsed_starts_over(
    municipality, texts, line, morning
):
    send(hooks.follow(USER))
    say("妊娠中です")
    with time_machine.travel(morning + datetime.timedelta(hours=25), tick=False):
        pick("kizuna:due", due_for(20))
        assert "受付を終了しました" in last(line)["text"]
        assert step() == "situation"
    assert not Subscriber.objects.exists()


def test_a_redelivered_or_repeated_consent_registers_once(municipality, texts, line, morning):
    send(hooks.follow(USER))
    say("妊娠中です")
    pick("kizuna:due", due_for(20))
    say("本人")
    consent = say("同意して登録")
    send(hooks.redelivered(consent))  # LINE sends the same event again
    say("同意して登録")  # a second tap on the button
    assert "登録は完了しています" in last(line)["text"]
    assert Subscriber.objects.filter(line_user_id=USER).count() == 1
    assert Child.objects.count() == 1


def _signed_up(line):
    send(hooks.follow(USER))
    say("妊娠中です")
    pick("kizuna:due", due_for(20))
    say("本人")
    say("同意して登録")
    return Subscriber.objects.get(line_user_id=USER)


def test_settings_and_unsubscribe_work_in_the_chat_after_a_chat_signup(
    municipality, texts, line, morning
):
    reader = _signed_up(line)
    say("設定")
    assert "/manage/" in last(line)["text"]
    say("配信停止")
    assert "停止しますか" in last(line)["text"]
    assert Subscriber.objects.get(pk=reader.pk).is_active
    say("配信停止する")
    assert "停止しました" in last(line)["text"]
    assert not Subscriber.objects.get(pk=reader.pk).is_active
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert USER not in {user for user, _ in line.received}


def test_family_is_invited_through_line_s_share_link(municipality, texts, line, morning):
    _signed_up(line)
    say("家族を招待")
    text = last(line)["text"]
    [share] = re.findall(r"https://line\.me/R/share\?text=\S+", text)
    [message] = parse_qs(urlparse(share).query)["text"]
    assert municipality.service_name in message
    [invitation] = re.findall(r"https?://\S+/invite/\S+/", message)
    page = Client().get(urlparse(invitation).path)
    assert page.status_code == 200 and "招待" in page.content.decode()


def test_a_loss_reported_in_the_chat_is_answered_gently_and_stops_everything_for_everyone(
    municipality, texts, line, morning
):
    ConsultationContact.objects.create(
        municipality=municipality, name="保健相談所", phone="03-0000-0000", hours="平日9時〜17時"
    )
    reader = _signed_up(line)
    child = Child.objects.get(subscriptions__subscriber=reader)
    partner = family(
        municipality, due=due_for(20), channel="line", line_user_id=line_user(8), email=None
    ).subscriber
    partner.subscriptions.update(child=child)

    say("悲しいお知らせ")
    assert labels(last(line)) == ["流産", "死産", "やめる"]
    say("やめる")
    assert "何も変更していません" in last(line)["text"]
    assert Child.objects.get(pk=child.pk).status == Child.Status.EXPECTING

    say("悲しいお知らせ")
    say("死産")
    assert "すべて止めます" in last(line)["text"]
    assert labels(last(line)) == ["止めてください", "やめる"]
    say("止めてください")
    final = last(line)
    assert "今後お送りしません" in final["text"] and "保健相談所 03-0000-0000" in final["text"]
    assert "quickReply" not in final  # final: nothing more is asked
    lost = Child.objects.get(pk=child.pk)
    assert lost.status == Child.Status.LOST and lost.loss == Child.Loss.STILLBIRTH

    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert not any("保健センターへどうぞ" in text for _, text in line.received)  # no stage text

    say("悲しいお知らせ")  # nothing left to report
    assert "お子さまの登録はありません" in last(line)["text"]


def test_a_reader_following_two_children_chooses_which_one(municipality, texts, line, morning):
    reader = _signed_up(line)
    born = Child.objects.create(
        municipality=municipality, birth_date=datetime.date(2025, 5, 1), status="born"
    )
    reader.subscriptions.create(child=born)
    say("悲しいお知らせ")
    assert labels(last(line)) == [
        f"{due_for(20).year}年{due_for(20).month}月{due_for(20).day}日予定",
        "2025年5月1日生まれ",
        "やめる",
    ]
    say("2025年5月1日生まれ")
    assert labels(last(line)) == ["お子さまの死亡", "やめる"]
    say("流産")  # not a choice for a born child
    assert "下のボタンから選んでください" in last(line)["text"]
    say("お子さまの死亡")
    say("止めてください")
    assert Child.objects.get(pk=born.pk).loss == Child.Loss.INFANT_DEATH
    assert Child.objects.exclude(pk=born.pk).get().status == Child.Status.EXPECTING


def test_groups_get_neutral_answers_and_no_procedure(municipality, texts, line, morning):
    send(hooks.text(USER, "家族を招待", where="group"))
    assert last(line)["text"] == IN_GROUP
    send(hooks.postback(USER, "kizuna:due", date=due_for(20).isoformat(), where="room"))
    assert len(line.reply_messages) == 1
    assert not Conversation.objects.exists() and not Subscriber.objects.exists()
