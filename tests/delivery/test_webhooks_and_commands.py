"""Provider webhooks (ESP tracking, LINE) and the deliver/forecast commands."""

import base64
import datetime
import json
import re
import uuid

import pytest
from django.core.management import CommandError, call_command

from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from subscribers.models import Subscriber
from tests import line_webhooks
from tests.delivery.conftest import LINE_SECRET, due_for, family, line_user

pytestmark = pytest.mark.django_db


# ESP tracking through anymail ------------------------------------------------------------------


def _postmark_event(client, record_type: str, message_id: str, auth=("hook", "secret")):
    body = {
        "RecordType": record_type,
        "MessageID": message_id,
        "Recipient": "x@example.jp",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Description": "The server was unable to deliver",
    }
    if record_type == "Delivery":
        body = {"RecordType": "Delivery", "MessageID": message_id, "Recipient": "x@example.jp"}
    headers = {}
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["HTTP_AUTHORIZATION"] = f"Basic {token}"
    return client.post(
        "/webhooks/anymail/postmark/tracking/",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


def test_a_hard_bounce_marks_the_delivery_and_stops_mail_to_the_reader(
    client, municipality, texts, postmark, morning
):
    subscription = family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    dispatch.dispatch()
    delivery = Delivery.objects.get()
    assert _postmark_event(client, "Delivery", delivery.provider_message_id).status_code == 200
    delivery.refresh_from_db()
    assert delivery.feedback == "delivered"
    assert _postmark_event(client, "Bounce", delivery.provider_message_id).status_code == 200
    delivery.refresh_from_db()
    reader = Subscriber.objects.get(pk=subscription.subscriber_id)
    assert delivery.feedback == "bounced"
    assert reader.channel_stopped_at is not None and "バウンス" in reader.channel_stop_reason


def test_tracking_webhooks_need_the_shared_secret(client, municipality, texts, postmark, morning):
    family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    dispatch.dispatch()
    delivery = Delivery.objects.get()
    for auth in (None, ("hook", "wrong")):
        response = _postmark_event(client, "Bounce", delivery.provider_message_id, auth=auth)
        assert response.status_code in (400, 401, 403)
    delivery.refresh_from_db()
    assert delivery.feedback == ""
    assert Subscriber.objects.get().channel_stopped_at is None


# LINE --------------------------------------------------------------------------------------------


def _line_post(client, events: list[dict], secret: str = LINE_SECRET, slug: str = "koto"):
    """Signed as LINE signs; the answers (a task) run in this process."""
    with line_webhooks.answers_in_process():
        return line_webhooks.post(client, events, secret=secret, slug=slug)


def _event(kind: str, user: str, **extra) -> dict:
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": 1764000000000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": uuid.uuid4().hex,
        "deliveryContext": {"isRedelivery": False},
    }
    if kind != "unfollow":
        event["replyToken"] = uuid.uuid4().hex
    if kind == "follow":
        event["follow"] = {"isUnblocked": False}
    event.update(extra)
    return event


def _text(user: str, text: str) -> dict:
    return _event(
        "message", user, message={"type": "text", "id": "1", "text": text, "quoteToken": "q"}
    )


def test_a_forged_line_webhook_changes_nothing(client, municipality, line):
    response = _line_post(client, [_event("follow", line_user(1))], secret="not-the-secret")
    assert response.status_code == 400
    assert line.replies == []


def test_following_replies_with_a_signup_link_that_binds_the_line_account(
    client, municipality, texts, line, settings
):
    settings.SITE_URL = "http://testserver"
    assert _line_post(client, [_event("follow", line_user(7))]).status_code == 200
    [(_, reply)] = line.replies
    path = re.search(r"http://testserver(/m/koto/line/\S+)", reply).group(1)
    page = client.get(path)
    assert "LINEで" in page.content.decode()
    response = client.post(
        path,
        {
            "situation": "expecting",
            "due_date": due_for(12).isoformat(),
            "relationship": "self",
            "nickname": "",
            "language": "ja",
            "consent": "on",
        },
    )
    assert response.status_code == 302
    reader = Subscriber.objects.get(line_user_id=line_user(7))
    assert (reader.channel, reader.email, reader.is_active) == ("line", None, True)
    assert Delivery.objects.filter(subscriber=reader, message_key="special:welcome").exists()
    # A tampered link binds nothing.
    assert client.get(path[:-3] + "xx/").status_code == 400


def test_a_block_stops_line_and_chat_commands_work(client, municipality, texts, line, morning):
    subscription = family(
        municipality, due=due_for(20), channel="line", line_user_id=line_user(3), email=None
    )
    planner.plan_day(clock.today(), [municipality])
    _line_post(client, [_text(line_user(3), "設定")])
    assert "/manage/" in line.replies[-1][1]
    _line_post(client, [_event("unfollow", line_user(3))])
    reader = Subscriber.objects.get(pk=subscription.subscriber_id)
    assert reader.channel_stopped_at is not None
    assert Delivery.objects.get().status == "skipped"
    _line_post(client, [_event("follow", line_user(3))])  # unblocked again
    assert Subscriber.objects.get(pk=reader.pk).channel_stopped_at is None
    _line_post(client, [_text(line_user(3), "配信停止")])
    assert "停止しますか" in line.replies[-1][1]  # asked once, nothing stopped yet
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is None
    _line_post(client, [_text(line_user(3), "配信停止する")])
    assert Subscriber.objects.get(pk=reader.pk).unsubscribed_at is not None
    assert "停止しました" in line.replies[-1][1]


def test_line_webhooks_for_a_municipality_without_line_are_not_found(client, municipality, line):
    municipality.line_enabled = False
    municipality.save()
    assert _line_post(client, [_event("follow", line_user(1))]).status_code == 404


# Commands --------------------------------------------------------------------------------------


def test_deliver_dry_run_changes_nothing_then_delivers_once(
    municipality, texts, smtp, morning, capsys
):
    family(municipality, due=due_for(20))
    family(municipality, due=due_for(30))
    day = clock.today().isoformat()
    call_command("deliver", date=day, dry_run=True)
    out = capsys.readouterr().out
    assert "2 件" in out and "何も変更していません" in out
    assert not Delivery.objects.exists() and smtp.messages == []

    call_command("deliver", date=day, municipality="koto")
    assert "送信: 2 件" in capsys.readouterr().out
    call_command("deliver", date=day)
    assert "送信: 0 件" in capsys.readouterr().out
    assert len(smtp.messages) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"date": "2026-13-01"}, "YYYY-MM-DD"),
        ({"date": "2026-11-24", "municipality": "nowhere"}, "nowhere"),
    ],
)
def test_deliver_explains_bad_arguments(municipality, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("deliver", **options)


def test_forecast_prints_daily_counts_and_totals(municipality, texts, morning, capsys):
    family(municipality, due=due_for(20, on=clock.today() + datetime.timedelta(days=2)))
    call_command("forecast", days=7)
    out = capsys.readouterr().out
    assert "江東区\t1\t0" in out
    assert "7日間の合計: メール 1 通、LINE 0 通" in out
