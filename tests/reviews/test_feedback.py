"""Readers say what helped: the signed mail link and the LINE buttons, one vote per message."""

import datetime
import re

import pytest
import time_machine
from django.core import signing
from django.test import Client

from audit.models import AuditEvent
from content.models import StageMessage
from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from reviews.models import TextVersion, Vote
from subscribers import services as subscriber_services
from tests.delivery.conftest import due_for, family, line_user
from tests.delivery.test_webhooks_and_commands import _event, _line_post

pytestmark = pytest.mark.django_db


def feedback_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"役に立った: (http\S+)", text).group(1)


@pytest.fixture
def mailed(municipality, texts, smtp, morning):
    subscription = family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert "このメッセージは役に立ちましたか？" in message.get_body(("plain",)).get_content()
    assert "いまひとつ" in message.get_body(("html",)).get_content()
    return subscription.subscriber, feedback_link(message)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_a_mail_link_records_one_vote_that_the_reader_can_change(mailed):
    subscriber, url = mailed
    client = Client()
    page = client.get(path_of(url))
    assert page.status_code == 200 and "役に立ちましたか" in page.content.decode()
    assert not Vote.objects.exists()  # opening the link (or a mail scanner) records nothing
    action = path_of(url).split("?")[0]
    response = client.post(action, {"helpful": "yes", "comment": "夫と読みました"})
    assert "ありがとうございました" in response.content.decode()
    vote = Vote.objects.get()
    assert (vote.subscriber, vote.helpful, vote.comment) == (subscriber, True, "夫と読みました")
    assert vote.stage_message.number == 20
    assert vote.message_key == Delivery.objects.get().message_key
    client.post(action, {"helpful": "no"})
    vote = Vote.objects.get()  # repeated: still one vote, changed, the comment kept
    assert (vote.helpful, vote.comment) == (False, "夫と読みました")
    assert "前回の評価" in client.get(action).content.decode()


def test_a_tampered_link_is_refused(mailed):
    _, url = mailed
    action = path_of(url).split("?")[0]
    token = action.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"s": 1, "k": "stage:x", "m": 1}, salt="kizuna.feedback", compress=True)
    for bad in (token[:-2] + "xx", forged.replace(":", "x", 1), "not-a-token"):
        response = Client().post(f"/feedback/{bad}/", {"helpful": "yes"})
        assert response.status_code == 400
    assert not Vote.objects.exists()


def test_an_expired_link_says_so(mailed):
    _, url = mailed
    action = path_of(url).split("?")[0]
    with time_machine.travel(clock.now() + datetime.timedelta(days=61)):
        response = Client().post(action, {"helpful": "yes"})
    assert response.status_code == 410
    assert not Vote.objects.exists()


def test_after_unsubscribing_the_link_records_nothing(mailed):
    subscriber, url = mailed
    subscriber_services.unsubscribe(subscriber.pk)
    action = path_of(url).split("?")[0]
    assert "配信を停止されているため" in Client().get(action).content.decode()
    response = Client().post(action, {"helpful": "yes"})
    assert response.status_code == 409
    assert not Vote.objects.exists()


def test_a_choice_is_required(mailed):
    _, url = mailed
    response = Client().post(path_of(url).split("?")[0], {"helpful": "maybe"})
    assert response.status_code == 400 and not Vote.objects.exists()


def test_line_buttons_vote_for_the_reader_who_pressed_them(
    municipality, texts, line, morning, client
):
    reader = family(
        municipality, due=due_for(20), channel="line", line_user_id=line_user(1), email=None
    ).subscriber
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    text = StageMessage.objects.get(track="pregnancy", number=20, audience="everyone")
    data = f"kizuna-feedback:no:{text.pk}"
    assert (
        _line_post(
            client, [_event("postback", reader.line_user_id, postback={"data": data})]
        ).status_code
        == 200
    )
    vote = Vote.objects.get()
    assert (vote.subscriber, vote.helpful, vote.stage_message) == (reader, False, text)
    assert line.replies[-1][1].startswith("ありがとうございます")
    data = f"kizuna-feedback:yes:{text.pk}"
    _line_post(client, [_event("postback", reader.line_user_id, postback={"data": data})])
    assert Vote.objects.get().helpful is True
    # A reader who was never sent that text cannot vote on it.
    other = StageMessage.objects.get(track="pregnancy", number=21, audience="everyone")
    _line_post(
        client,
        [
            _event(
                "postback",
                reader.line_user_id,
                postback={"data": f"kizuna-feedback:yes:{other.pk}"},
            )
        ],
    )
    assert Vote.objects.count() == 1


def test_the_line_message_carries_the_two_buttons(municipality, texts, line, morning):
    family(municipality, due=due_for(20), channel="line", line_user_id=line_user(1), email=None)
    family(municipality, due=due_for(20), channel="line", line_user_id=line_user(2), email=None)
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 2}
    assert dict(line.requests) == {"/v2/bot/message/multicast": 1}  # still one request
    text = StageMessage.objects.get(track="pregnancy", number=20, audience="everyone")
    assert sorted(line.buttons) == [
        (
            line_user(n),
            [
                ("役に立った", f"kizuna-feedback:yes:{text.pk}"),
                ("いまひとつ", f"kizuna-feedback:no:{text.pk}"),
            ],
        )
        for n in (1, 2)
    ]


def test_a_text_below_the_threshold_goes_back_to_the_review_queue(settings, municipality, texts):
    from tests.reviews.test_send_gate import approve

    text = StageMessage.objects.get(track="pregnancy", number=20, audience="everyone")
    approve(text)
    from reviews import services

    readers = [family(municipality, due=due_for(20)).subscriber for _ in range(5)]
    for n, reader in enumerate(readers):
        services.vote(
            reader, message_key=f"stage:test:{n}", stage_message_id=text.pk, helpful=n == 0
        )
    version = TextVersion.objects.get(
        text_type__model="stagemessage", text_id=text.pk, current=True
    )
    assert version.flagged_by_readers and version.state == TextVersion.State.IN_REVIEW
    assert AuditEvent.objects.filter(detail__step="review.flagged_by_readers").exists()
    score = services.score_of(text)
    assert (score.helpful, score.not_helpful, score.shown) == (1, 4, True)


def test_small_counts_are_hidden_from_editors(client, municipality, texts, editor):
    from reviews import services

    text = StageMessage.objects.get(track="pregnancy", number=20, audience="everyone")
    readers = [family(municipality, due=due_for(20)).subscriber for _ in range(4)]
    for n, reader in enumerate(readers):
        services.vote(
            reader,
            message_key=f"stage:test:{n}",
            stage_message_id=text.pk,
            helpful=True,
            comment="よかった",
        )
    client.force_login(editor)
    page = client.get("/staff/reviews/scores/").content.decode()
    assert "評価が少ないため表示していません" in page
    version = TextVersion.objects.get(
        text_type__model="stagemessage", text_id=text.pk, current=True
    )
    assert "よかった" not in client.get(f"/staff/reviews/{version.pk}/").content.decode()


def test_erasing_a_reader_forgets_their_comments_and_keeps_the_count(municipality, texts):
    from reviews import services
    from subscribers import erasure

    text = StageMessage.objects.get(track="pregnancy", number=20, audience="everyone")
    reader = family(municipality, due=due_for(20)).subscriber
    services.vote(
        reader,
        message_key="c1:stage:x",
        stage_message_id=text.pk,
        helpful=False,
        comment="私は江東区の…",
    )
    subscriber_services.unsubscribe(reader.pk)
    erasure.erase_departed(clock.now() + datetime.timedelta(days=400))
    vote = Vote.objects.get()
    assert (vote.helpful, vote.comment) == (False, "")


def test_a_redelivered_button_press_changes_nothing_and_a_press_in_a_group_records_nothing(
    municipality, texts, line, morning, client
):
    from tests import line_webhooks

    reader = family(
        municipality, due=due_for(20), channel="line", line_user_id=line_user(1), email=None
    ).subscriber
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    text = StageMessage.objects.get(track="pregnancy", number=20, audience="everyone")
    first = line_webhooks.postback(reader.line_user_id, f"kizuna-feedback:no:{text.pk}")
    second = line_webhooks.postback(reader.line_user_id, f"kizuna-feedback:yes:{text.pk}")
    _line_post(client, [first])
    _line_post(client, [second])
    replies = len(line.replies)
    # LINE sends the first press again (same webhookEventId): the later choice stands, no reply.
    assert _line_post(client, [line_webhooks.redelivered(first)]).status_code == 200
    assert Vote.objects.get().helpful is True
    assert len(line.replies) == replies

    # In a group or a room, whoever pressed is not whom the message was for: a neutral answer.
    Vote.objects.all().delete()
    in_group = line_webhooks.postback(
        reader.line_user_id, f"kizuna-feedback:no:{text.pk}", where="group"
    )
    assert _line_post(client, [in_group]).status_code == 200
    assert not Vote.objects.exists()
    assert line.replies[-1][1].startswith("このトークでは評価などのボタンは受け付けていません")
    # Someone else's buttons (an unknown prefix) get no answer at all.
    _line_post(client, [line_webhooks.postback(reader.line_user_id, "other-app:1")])
    assert len(line.replies) == replies + 1


def test_the_days_one_message_asks_about_the_stage_text_it_carries(
    municipality, texts, smtp, morning
):
    # The first birthday: the birthday text and the 12-month text go out as one message.
    born = clock.today().replace(year=clock.today().year - 1)
    subscription = family(municipality, birth=born)
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    assert Delivery.objects.count() == 2  # the birthday and the 12-month text: one message
    [message] = smtp.messages
    assert message["Subject"].startswith("1歳おめでとう")
    link = feedback_link(message)
    lead = Delivery.objects.get(message_key__contains="birthday")
    month_12 = StageMessage.objects.get(track="child", unit="month", number=12)
    assert lead.stage_message_id == month_12.pk
    response = Client().post(path_of(link).split("?")[0], {"helpful": "yes"})
    assert response.status_code == 200
    vote = Vote.objects.get()
    assert (vote.subscriber_id, vote.stage_message, vote.message_key) == (
        subscription.subscriber_id,
        month_12,
        lead.message_key,
    )
