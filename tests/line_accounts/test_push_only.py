"""Push-only: the account's webhook belongs to another tool and nothing is relayed. Stage texts
still go by push to readers linked by the web signup's link code; a webhook call that reaches
Kizuna anyway is refused, logged and never processed; the settings say what is unavailable."""

import logging

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from delivery import dispatch, planner
from delivery.models import LineWebhookEvent
from line_accounts import selectors
from line_accounts.models import RelayEvent
from subscribers.models import Subscriber
from tests import line_webhooks as hooks
from tests.delivery.conftest import LINE_SECRET, TODAY, due_for, family, line_user
from tests.line_accounts.test_preview import staff_of

pytestmark = pytest.mark.django_db

A = line_user(1)


@pytest.fixture
def push_only(municipality):
    account = selectors.of(municipality)
    account.push_only = True
    account.flex_messages = True  # asked for, but the card's buttons would reach nobody
    account.save()
    return account


def test_a_webhook_call_to_a_push_only_account_is_refused_logged_and_not_processed(
    municipality, line, push_only, caplog
):
    reader = family(
        municipality, due=due_for(20), channel="line", line_user_id=A, email=None
    ).subscriber
    with caplog.at_level(logging.WARNING, logger="delivery.views"), hooks.answers_in_process():
        response = hooks.post(
            Client(), [hooks.follow(line_user(2)), hooks.unfollow(A)], secret=LINE_SECRET
        )
    assert response.status_code == 403
    assert "push-only" in response.json()["error"]
    assert "koto" in caplog.text and "push-only" in caplog.text
    assert not LineWebhookEvent.objects.exists()
    assert not RelayEvent.objects.exists()
    assert line.replies == [] and line.requests == {}
    reader.refresh_from_db()
    assert reader.channel_stopped_at is None  # the block was not applied


def test_an_unsigned_call_is_still_refused_as_unsigned(municipality, push_only):
    body, _ = hooks.signed([hooks.follow(A)], LINE_SECRET)
    response = Client().post(
        "/webhooks/line/koto/",
        data=body.encode(),
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE="bad",
    )
    assert response.status_code == 400


def test_stage_texts_still_reach_linked_readers_by_push_as_plain_text(
    municipality, texts, line, morning, push_only
):
    for n in range(3):
        family(municipality, due=due_for(20), channel="line", line_user_id=line_user(n), email=None)
    planner.plan_day(TODAY, [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 3}
    assert {user for user, _ in line.received} == {line_user(n) for n in range(3)}
    assert all(message["type"] == "text" for _, message in line.sent_messages)


def test_push_only_and_a_relay_cannot_be_set_together(municipality):
    account = selectors.of(municipality)
    account.push_only = True
    account.relay_url = "https://vendor.example.jp/line/webhook"
    with pytest.raises(ValidationError) as refused:
        account.full_clean()
    assert "どちらか一方" in str(refused.value)


def test_the_staff_preview_says_what_is_unavailable(municipality, push_only):
    page = staff_of(municipality).get("/staff/line/preview/").content.decode()
    assert "プッシュ配信のみ" in page
    assert "トークでの登録" in page and "配信停止" in page


def test_readers_link_by_the_web_signup_not_the_chat(municipality, push_only):
    """Nothing in push-only depends on events: a reader linked by the link code is a reader."""
    reader = family(
        municipality, due=due_for(20), channel="line", line_user_id=A, email=None
    ).subscriber
    assert Subscriber.objects.filter(pk=reader.pk, line_user_id=A).exists()
