"""Moving a reader from email to LINE keeps their family, stage and history."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from adoption import moves
from adoption.models import ChannelMove
from delivery import dispatch, planner
from delivery.models import Delivery
from municipalities.models import StaffMembership
from subscribers.models import Subscriber
from tests.delivery.conftest import TODAY, due_for, family, line_user
from tests.delivery.test_webhooks_and_commands import _event, _line_post, _text
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def koto(municipality):
    municipality.line_friend_url = "https://lin.ee/koto-friend"
    municipality.save()
    return municipality


@pytest.fixture
def editor(koto):
    user = make_user("koto-editor")
    StaffMembership.objects.create(user=user, municipality=koto, role="editor")
    return user


def test_an_email_reader_moves_to_line_with_the_same_family_and_history(
    koto, editor, texts, smtp, line, morning, settings
):
    settings.SITE_URL = "http://testserver"
    mother = family(koto, due=due_for(20), nickname="はな")
    already_on_line = family(koto, due=due_for(30), channel="line", line_user_id=line_user(2))
    planner.plan_day(TODAY, [koto])
    dispatch.dispatch()  # today's stage message, by email: the history to keep
    staff = Client()
    staff.force_login(editor)
    staff.post(reverse("adoption:moves", args=[koto.pk]))
    move = ChannelMove.objects.get()
    assert move.invited == 1  # the LINE reader is not invited
    dispatch.dispatch()

    [announcement] = [m for m in smtp.messages if "LINE" in str(m["Subject"])]
    assert announcement["To"] == mother.subscriber.email
    text = announcement.get_body(preferencelist=("plain",)).get_content()
    path = re.search(r"http://testserver(/move/\S+?/)", text).group(1)
    parent = Client()
    page = parent.get(path).content.decode()
    code = re.search(r"<code[^>]*>([A-Z2-9]{4}-[A-Z2-9]{4})</code>", page).group(1)
    assert "https://lin.ee/koto-friend" in page
    assert parent.get(path).content.decode().count(code) == 1  # the same code on a second visit

    new_line_user = line_user(9)
    _line_post(Client(), [_event("follow", new_line_user)])
    assert "連携コード" in line.replies[-1][1]
    _line_post(Client(), [_text(new_line_user, code.lower().replace("-", " "))])
    assert "連携しました" in line.replies[-1][1]

    reader = Subscriber.objects.get(pk=mother.subscriber_id)
    assert (reader.channel, reader.line_user_id, reader.email) == (
        "line",
        new_line_user,
        reader.email,
    )
    assert list(reader.children.all()) == [mother.child]
    assert reader.deliveries.filter(status="sent", channel="email").count() == 2  # history kept
    assert Subscriber.objects.filter(municipality=koto).count() == 2  # no new reader

    board = moves.dashboard(koto)
    assert (board["email"], board["line"], board["moved"]) == (0, 2, 1)
    page = staff.get(reverse("adoption:moves", args=[koto.pk])).content.decode()
    assert "案内からLINEに移った人" in page

    # A wrong or reused code binds nothing; the other LINE reader cannot take this registration.
    _line_post(Client(), [_text(already_on_line.subscriber.line_user_id, code)])
    assert "すでに別の登録で使われています" in line.replies[-1][1]
    _line_post(Client(), [_text(line_user(11), "ZZZZ-ZZZZ")])
    assert "見つからないか" in line.replies[-1][1]
    assert Subscriber.objects.get(pk=mother.subscriber_id).line_user_id == new_line_user


def test_next_messages_go_by_line_after_the_move(koto, editor, texts, smtp, line, morning):
    mother = family(koto, due=due_for(20))
    move = moves.announce(koto, by=editor)
    code = moves.code_for(move, mother.subscriber).code
    moves.bind_line_account(koto, line_user(5), code)
    planner.plan_day(TODAY, [koto])
    dispatch.dispatch()
    stage = Delivery.objects.get(subscriber=mother.subscriber, message_key__contains=":stage:")
    assert stage.channel == "line" and stage.status == "sent"
    assert [user for user, _ in line.received] == [line_user(5)]


def test_codes_and_pages_stay_within_their_municipality(koto, editor, morning):
    mother = family(koto, due=due_for(20))
    code = moves.code_for(moves.announce(koto, by=editor), mother.subscriber).code
    other = MunicipalityFactory(line_enabled=True, line_friend_url="https://lin.ee/other")
    with pytest.raises(moves.MoveRefused):
        moves.bind_line_account(other, line_user(3), code)
    outsider = make_user("outsider")
    StaffMembership.objects.create(user=outsider, municipality=other, role="editor")
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("adoption:moves", args=[koto.pk])).status_code == 404
    assert client.post(reverse("adoption:moves", args=[koto.pk])).status_code == 404
    assert ChannelMove.objects.count() == 1
    assert Client().get("/move/forged-token/").status_code == 400
