"""The reader's data download holds everything kept about them, and a person can read it.

Issues 21.11 and 20.4: survey answers, the reason for leaving, the signup source, the bounce
reason, unsent deliveries and sent records are all in it; beside the JSON there is a page with
Japanese labels and Japan time.
"""

import datetime

import pytest
import time_machine
from django.test import Client

from adoption.models import ChannelMove, EmailMoveRequest
from delivery.models import Delivery, SentMessage
from kizuna import clock
from subscribers import links, personal_data, services
from subscribers.models import Subscriber
from surveys import services as surveys
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.staff.conftest import make_user
from tests.surveys.conftest import make_survey

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 1, 5, tzinfo=datetime.UTC)  # 10:05 in Japan


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reader():
    municipality = MunicipalityFactory(slug="koto", name="江東区", service_name="きずなメール")
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__email="hana@example.jp",
        subscriber__nickname="はな",
        subscriber__signup_tag="boshitecho",
        subscriber__confirmed_at=NOW,
        subscriber__consent_at=NOW,
        child__due_date=datetime.date(2027, 4, 13),
    )
    reader = subscription.subscriber
    child = subscription.child
    Subscriber.objects.filter(pk=reader.pk).update(
        channel_stopped_at=NOW, channel_stop_reason="宛先不明（バウンス） mailbox full"
    )
    common = {"municipality": municipality, "subscriber": reader, "channel": "email"}
    Delivery.objects.create(
        **common,
        child=child,
        message_key=f"c{child.pk}:stage:pregnancy:week:20",
        due_on=clock.today(),
        status="sent",
        sent_at=NOW,
    )
    Delivery.objects.create(
        **common,
        child=child,
        message_key=f"c{child.pk}:stage:pregnancy:week:21",
        due_on=clock.today() + datetime.timedelta(days=7),
        status="planned",
    )
    Delivery.objects.create(
        **common,
        message_key="special:welcome",
        due_on=clock.today(),
        status="skipped",
        last_error="配信停止",
    )
    SentMessage.objects.create(
        subscriber=reader,
        due_on=datetime.date(2026, 10, 1),
        channel="email",
        message_key=f"c{child.pk}:stage:pregnancy:week:13",
    )
    survey = make_survey(municipality, opens_on=clock.today())
    answers = {q.pk: 5 for q in survey.questions.filter(kind="satisfaction")}
    answers |= {q.pk: 2 for q in survey.questions.filter(kind="single")}
    answers[survey.questions.get(kind="text").pk] = "毎週楽しみです"
    surveys.submit_response(survey, reader, answers)
    move = ChannelMove.objects.create(
        municipality=municipality, created_by=make_user("editor"), direction="to_email"
    )
    EmailMoveRequest.objects.create(
        move=move, subscriber=reader, email="hana.new@example.jp", nonce="x", requested_at=NOW
    )
    services.unsubscribe(reader.pk, "配信が多い / ありがとうございました")
    return Subscriber.objects.get(pk=reader.pk)


def test_the_download_holds_everything_kept_about_the_reader(reader):
    data = services.export_personal_data(reader)
    assert data["signup_tag"] == "boshitecho" and data["source"] == "登録ページ"
    assert data["unsubscribe_reason"] == "配信が多い / ありがとうございました"
    assert data["channel_stop_reason"] == "宛先不明（バウンス） mailbox full"
    assert data["erasure_on"] == "2026-12-25"
    assert {(m["date"], m["message"]) for m in data["sent_messages"]} == {
        ("2026-10-01", "stage:pregnancy:week:13"),
        ("2026-11-24", "stage:pregnancy:week:20"),
    }
    assert [(m["message"], m["status"]) for m in data["unsent_messages"]] == [
        ("special:welcome", "取りやめ"),
        ("stage:pregnancy:week:21", "取りやめ"),  # skipped when the reader left
    ]
    answers = {a["question"]: a["answer"] for a in data["survey_answers"]}
    assert answers["メールの内容に満足していますか"] == "満足"
    assert answers["メールをどのくらい読んでいますか"] == "ときどき読む"
    assert answers["ご意見・ご感想"] == "毎週楽しみです"
    assert data["email_change_requests"][0]["email"] == "hana.new@example.jp"
    assert personal_data.unlabelled_keys(data) == set()


def test_the_readable_download_has_japanese_labels_and_japan_time(reader):
    client = Client()
    page = client.get(f"/manage/{links.manage_token(reader)}/data/readable/", follow=True)
    assert page.status_code == 200
    text = page.content.decode()
    for expected in (
        "お預かりしている情報",
        "メールアドレス",
        "hana@example.jp",
        "登録のきっかけ（チラシなど）",
        "配信停止の理由",
        "配信が多い / ありがとうございました",
        "届かなくなった理由",
        "2026年11月24日 10:05",  # Japan time, not 01:05 UTC
        "妊娠20週のメッセージ",
        "妊娠13週のメッセージ",
        "アンケートの回答",
        "毎週楽しみです",
        "情報を消去する日",
        "2026年12月25日",
    ):
        assert expected in text, expected
    assert "T01:05" not in text and "unsubscribe_reason" not in text
    saved = client.get("/manage/data/readable/?download=1")
    assert saved["Content-Disposition"].startswith("attachment")
    assert "お預かりしている情報" in saved.content.decode()
