"""Moving a LINE reader to email keeps their family, stage, history and consent record."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from adoption import moves
from adoption.models import ChannelMove, EmailMoveRequest
from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from municipalities.models import StaffMembership
from subscribers.models import Subscriber
from tests.delivery.conftest import TODAY, due_for, family, line_user
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(municipality):
    user = make_user("koto-editor")
    StaffMembership.objects.create(user=user, municipality=municipality, role="editor")
    return user


def on_line(municipality, n: int, **kwargs):
    return family(municipality, channel="line", email=None, line_user_id=line_user(n), **kwargs)


def link_in(text: str, pattern: str) -> str:
    return re.search(rf"http://testserver({pattern})", text).group(1)


def test_a_line_reader_moves_to_email_with_the_same_family_history_and_consent(
    municipality, editor, texts, smtp, line, morning, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    mother = on_line(municipality, 1, due=due_for(20), nickname="はな")
    on_line(municipality, 2, due=due_for(30))
    family(municipality, due=due_for(25), email="taken@example.jp")
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()  # today's stage message, by LINE: the history to keep
    reader = Subscriber.objects.get(pk=mother.subscriber_id)
    consent = (reader.consent_at, reader.consent_policy_version)

    staff = Client()
    staff.force_login(editor)
    staff.post(reverse("adoption:moves", args=[municipality.pk]), {"direction": "to_email"})
    move = ChannelMove.objects.get()
    assert (move.direction, move.invited) == ("to_email", 2)  # LINE readers only
    dispatch.dispatch()
    [announcement] = [t for user, t in line.received if user == line_user(1) and "/email/" in t]
    path = link_in(announcement, r"/move/\S+?/email/")
    assert not [m for m in smtp.messages if "メールで受け取れます" in str(m["Subject"])]
    before = len(smtp.messages)  # the email reader's stage message

    # A message queued on LINE before the move (a reader has each message once, whatever the
    # channel: the unique key holds no second copy to skip).
    later = clock.now() + datetime.timedelta(days=1)
    only_line = Delivery.objects.create(
        municipality=municipality,
        subscriber=reader,
        channel="line",
        message_key="special:only-line",
        due_on=TODAY,
        next_attempt_at=later,
    )

    parent = Client(enforce_csrf_checks=False)
    assert "メールアドレス" in parent.get(path).content.decode()
    refused = parent.post(path, {"email": "TAKEN@example.jp"})
    assert refused.status_code == 400
    assert "すでに別の登録で使われています" in refused.content.decode()
    assert parent.post(path, {"email": "not-an-address"}).status_code == 400
    assert not EmailMoveRequest.objects.exists() and len(smtp.messages) == before

    with django_capture_on_commit_callbacks(execute=True):
        sent = parent.post(path, {"email": " Hana.New@Example.jp "})
    assert sent.status_code == 200 and "確認メールを送りました" in sent.content.decode()
    [confirmation] = smtp.messages[before:]
    assert confirmation["To"] == "hana.new@example.jp"
    assert Subscriber.objects.get(pk=reader.pk).channel == "line"  # not before the click
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    confirm_path = link_in(text, r"/move-email/\S+?/")
    assert "切り替える" in parent.get(confirm_path).content.decode()
    assert Subscriber.objects.get(pk=reader.pk).channel == "line"  # a scanner's GET changes nothing
    tampered = confirm_path[:-3] + ("A" if confirm_path[-3] != "A" else "B") + confirm_path[-2:]
    assert parent.post(tampered).status_code == 400
    done = parent.post(confirm_path)
    assert done.status_code == 200 and "切り替えました" in done.content.decode()
    assert parent.post(confirm_path).status_code == 200  # a second click changes nothing

    moved = Subscriber.objects.get(pk=reader.pk)
    assert (moved.channel, moved.email, moved.line_user_id) == (
        "email",
        "hana.new@example.jp",
        line_user(1),
    )
    assert (moved.consent_at, moved.consent_policy_version) == consent
    assert list(moved.children.all()) == [mother.child]
    assert moved.deliveries.filter(status="sent", channel="line").count() == 2  # history kept
    assert Subscriber.objects.filter(municipality=municipality).count() == 3  # no new reader
    only_line.refresh_from_db()
    assert (only_line.channel, only_line.status) == ("email", "planned")

    board = moves.dashboard(municipality)
    assert (board["email"], board["line"], board["moved_to_email"], board["moved_to_line"]) == (
        2,
        1,
        1,
        0,
    )
    page = staff.get(reverse("adoption:moves", args=[municipality.pk])).content.decode()
    assert "案内からメールに移った人" in page and "LINEからメールへ" in page


def test_next_messages_go_by_email_once_after_the_move(
    municipality, editor, texts, smtp, line, morning
):
    mother = on_line(municipality, 5, due=due_for(20))
    move = moves.announce(municipality, by=editor, direction="to_email")
    planner.plan_day(TODAY, [municipality])  # today's stage message is queued on LINE
    request = moves.request_email(move, mother.subscriber, "mother@example.jp")
    moves.confirm_email(request.pk)
    planner.plan_day(TODAY, [municipality])  # planning again adds nothing on either channel
    dispatch.dispatch()
    [stage] = Delivery.objects.filter(subscriber=mother.subscriber, message_key__contains=":stage:")
    assert (stage.channel, stage.status) == ("email", "sent")
    stage_mails = [m for m in smtp.messages if "妊娠20週" in str(m["Subject"])]
    assert [m["To"] for m in stage_mails] == ["mother@example.jp"]
    assert not [user for user, text in line.received if "妊娠20週" in text]


def test_links_expire_and_a_new_address_replaces_the_old_link(
    municipality, editor, smtp, morning, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    mother = on_line(municipality, 6, due=due_for(20))
    move = moves.announce(municipality, by=editor, direction="to_email")
    path = moves.move_url(move, mother.subscriber_id).removeprefix("http://testserver")
    parent = Client()
    with django_capture_on_commit_callbacks(execute=True):
        parent.post(path, {"email": "first@example.jp"})
    with django_capture_on_commit_callbacks(execute=True):
        parent.post(path, {"email": "second@example.jp"})
    first, second = (
        link_in(m.get_body(preferencelist=("plain",)).get_content(), r"/move-email/\S+?/")
        for m in smtp.messages
    )
    assert parent.post(first).status_code == 400  # replaced by the second address
    with time_machine.travel(clock.now() + datetime.timedelta(days=4)):
        assert parent.post(second).status_code == 410  # three days to confirm
        assert Subscriber.objects.get(pk=mother.subscriber_id).channel == "line"
    with time_machine.travel(clock.now() + datetime.timedelta(days=31)):
        assert parent.get(path).status_code == 410
    assert parent.post(second).status_code == 200
    assert Subscriber.objects.get(pk=mother.subscriber_id).email == "second@example.jp"
    # The LINE page of the same move is not a way in, nor the other way round.
    assert parent.get(path.removesuffix("email/")).status_code == 400


def test_an_address_taken_before_the_click_is_refused_and_nothing_changes(
    municipality, editor, smtp, morning, settings
):
    settings.SITE_URL = "http://testserver"
    mother = on_line(municipality, 7, due=due_for(20))
    move = moves.announce(municipality, by=editor, direction="to_email")
    request = moves.request_email(move, mother.subscriber, "shared@example.jp")
    family(municipality, due=due_for(10), email="Shared@example.jp")  # signed up meanwhile
    with pytest.raises(moves.MoveRefused, match="すでに別の登録で使われています"):
        moves.confirm_email(request.pk)
    reader = Subscriber.objects.get(pk=mother.subscriber_id)
    assert (reader.channel, reader.email) == ("line", None)
    assert EmailMoveRequest.objects.get().confirmed_at is None


def test_moves_to_email_stay_within_their_municipality(municipality, editor, smtp, morning):
    mother = on_line(municipality, 8, due=due_for(20))
    other = MunicipalityFactory(line_enabled=True)
    elsewhere = family(other, due=due_for(20), email="same@example.jp")
    move = moves.announce(municipality, by=editor, direction="to_email")
    # The same address in another municipality is another programme: allowed.
    request = moves.request_email(move, mother.subscriber, "same@example.jp")
    moves.confirm_email(request.pk)
    assert Subscriber.objects.get(pk=mother.subscriber_id).email == "same@example.jp"
    assert Subscriber.objects.get(pk=elsewhere.subscriber_id).channel == "email"
    # Another municipality's move cannot be used by this reader, nor its staff see or announce.
    other_move = ChannelMove.objects.create(
        municipality=other, created_by=editor, direction="to_email"
    )
    with pytest.raises(moves.MoveRefused):
        moves.request_email(other_move, mother.subscriber, "x@example.jp")
    outsider = make_user("outsider")
    StaffMembership.objects.create(user=outsider, municipality=other, role="editor")
    client = Client()
    client.force_login(outsider)
    url = reverse("adoption:moves", args=[municipality.pk])
    assert client.post(url, {"direction": "to_email"}).status_code == 404
    assert ChannelMove.objects.filter(municipality=municipality).count() == 1
    assert moves.dashboard(other)["moved"] == 0


def test_a_line_reader_moves_to_an_old_docomo_address_typed_in_full_width(
    municipality, editor, smtp, morning, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    mother = on_line(municipality, 8, due=due_for(20))
    move = moves.announce(municipality, by=editor, direction="to_email")
    path = moves.move_url(move, mother.subscriber_id).removeprefix("http://testserver")
    parent = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = parent.post(path, {"email": "Taro..Yamada.＠docomo.ne.jp"})
    assert response.status_code == 200, response.content.decode()
    [mail] = smtp.messages
    assert mail["To"] == "taro..yamada.@docomo.ne.jp"
    parent.post(
        link_in(mail.get_body(preferencelist=("plain",)).get_content(), r"/move-email/\S+?/")
    )
    reader = Subscriber.objects.get(pk=mother.subscriber_id)
    assert (reader.channel, reader.email) == ("email", "taro..yamada.@docomo.ne.jp")


def test_where_the_mail_service_refuses_old_addresses_a_line_reader_stays_on_line(
    municipality, editor, morning, settings
):
    settings.EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    mother = on_line(municipality, 9, due=due_for(20))
    move = moves.announce(municipality, by=editor, direction="to_email")
    path = moves.move_url(move, mother.subscriber_id).removeprefix("http://testserver")
    page = Client().post(path, {"email": "hanako.@ezweb.ne.jp"}).content.decode()
    assert "LINEでの受け取りをそのまま続けられます" in page
    assert Subscriber.objects.get(pk=mother.subscriber_id).channel == "line"
    assert EmailMoveRequest.objects.count() == 0
