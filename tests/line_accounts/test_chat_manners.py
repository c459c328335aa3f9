"""Mark-as-read and the loading animation, where the account turns them on: the answered message
is marked read with its markAsReadToken, the animation shows in the one-to-one chat while the
answer waits for a worker (never in a group or room), and neither failing stops the answer.
Driven by signed webhook calls against the LINE fake, which checks both calls as LINE does."""

import pytest
from django.test import Client

from delivery.senders import line as line_sender
from line_accounts import selectors
from tests import line_webhooks as hooks
from tests.delivery.conftest import LINE_SECRET, line_user

pytestmark = pytest.mark.django_db

A = line_user(1)


def turn_on(municipality, **options):
    account = selectors.of(municipality)
    for name, value in options.items():
        setattr(account, name, value)
    account.save()


def post(events):
    with hooks.answers_in_process():
        response = hooks.post(Client(), events, secret=LINE_SECRET)
    assert response.status_code == 200
    return response


def test_an_answered_message_is_marked_read_and_the_loading_animation_shows_first(
    municipality, line
):
    turn_on(municipality, mark_as_read=True, loading_animation=True)
    post([hooks.text(A, "設定", read_token="read-token-1")])
    assert line.read_tokens == ["read-token-1"]
    assert line.loading == [(A, 20)]
    assert len(line.replies) == 1
    # The animation is asked for before the answer, the read mark just before the reply.
    order = [p for p in line.requests if p.startswith("/v2/bot/")]
    assert order == [
        "/v2/bot/chat/loading/start",
        "/v2/bot/chat/markAsRead",
        "/v2/bot/message/reply",
    ]


def test_two_messages_in_one_call_get_one_animation_and_each_its_read_mark(municipality, line):
    turn_on(municipality, mark_as_read=True, loading_animation=True)
    post([hooks.text(A, "設定", read_token="r1"), hooks.text(A, "配信停止", read_token="r2")])
    assert line.loading == [(A, 20)]
    assert line.read_tokens == ["r1", "r2"]
    assert len(line.replies) == 2


def test_nothing_is_marked_or_animated_where_the_account_leaves_them_off(municipality, line):
    post([hooks.text(A, "設定")])
    assert line.read_tokens == [] and line.loading == []
    assert len(line.replies) == 1


def test_groups_and_rooms_get_neither(municipality, line):
    turn_on(municipality, mark_as_read=True, loading_animation=True)
    post([hooks.text(A, "設定", where="group"), hooks.text(A, "配信停止", where="room")])
    assert line.loading == [] and line.read_tokens == []
    assert len(line.replies) == 2  # the neutral answer, as before


def test_a_failing_read_mark_or_animation_never_stops_the_answer(municipality, line):
    turn_on(municipality, mark_as_read=True, loading_animation=True)
    line.faults.plan = ["500", "500"]  # loading/start, then markAsRead
    post([hooks.text(A, "設定")])
    assert line.loading == [] and line.read_tokens == []
    assert len(line.replies) == 1


def test_a_postback_shows_the_animation_but_has_nothing_to_mark(municipality, line):
    turn_on(municipality, mark_as_read=True, loading_animation=True)
    post([hooks.postback(A, "kizuna:due", date="2027-05-01")])
    assert line.read_tokens == []
    assert line.loading == [(A, 20)]


@pytest.mark.parametrize(
    ("asked", "sent"), [(1, 5), (5, 5), (7, 10), (20, 20), (60, 60), (61, 60), (600, 60)]
)
def test_loading_seconds_are_what_line_accepts(asked, sent):
    assert line_sender.loading_seconds(asked) == sent


def test_the_fake_refuses_what_line_refuses_for_the_loading_animation(municipality, line):
    """A group id as chatId and seconds off LINE's steps are refused (the fake checks as LINE)."""
    import json
    import urllib.request

    for body in ({"chatId": "C" + "1" * 32}, {"chatId": A, "loadingSeconds": 7}):
        request = urllib.request.Request(  # noqa: S310 (the loopback fake)
            line.url + "/v2/bot/chat/loading/start",
            data=json.dumps(body).encode(),
            headers={
                "Authorization": "Bearer line-token-for-tests",
                "Content-Type": "application/json",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=3)  # noqa: S310 (the loopback fake)
        assert refused.value.code == 400
    assert line.loading == []
