"""Erasure that erases: a reader who used every feature leaves no address, LINE id or nickname.

After the retention period the daily job runs, and then every row of every table in the
database is searched as text (``SELECT t::text FROM <table> t``: the whole database, JSON and
all) for the reader's address, LINE id and nickname.
"""

import datetime

import pytest
import time_machine
from django.db import connection

from adoption import moves
from adoption.models import ChannelMove
from delivery import dispatch, planner, retention, stats
from delivery.models import DayCount, Delivery, SentMessage
from delivery.webhooks import record_email_feedback
from kizuna import clock
from municipalities.models import StaffMembership
from subscribers import services
from subscribers.models import Child, Subscriber
from subscribers.tasks import erase_unsubscribed_readers
from surveys import services as surveys
from surveys.models import Answer, Response
from tests.delivery.conftest import MORNING, TODAY, due_for, family
from tests.staff.conftest import make_user
from tests.surveys.conftest import make_survey

pytestmark = pytest.mark.django_db

ADDRESS = "hinata.erase-me@example.jp"
LINE_ID = "U" + "e7a5e" * 6 + "ab"
NICKNAME = "ひなたまる"
STRANGER = "never-confirmed@example.jp"


def whole_database_text() -> str:
    """Every row of every table of the database, as PostgreSQL prints it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [name for (name,) in cursor.fetchall()]
        rows = []
        for table in tables:
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 (catalogue names)
            rows += [f"{table}: {text}" for (text,) in cursor.fetchall()]
    return "\n".join(rows)


def found(needle: str, dump: str) -> list[str]:
    return [line[:160] for line in dump.splitlines() if needle.lower() in line.lower()]


def registration(**fields) -> services.Registration:
    return services.Registration(
        email=fields.pop("email", ""),
        relationship="self",
        nickname=fields.pop("nickname", NICKNAME),
        language="ja",
        due_date=fields.pop("due_date", due_for(20)),
        signup_tag="boshitecho",
        **fields,
    )


def test_a_reader_who_used_every_feature_leaves_no_trace_after_erasure(
    municipality, texts, smtp, line, morning, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"
    settings.KIZUNA_RETENTION_DAYS = 30
    # Signed up on LINE from the flyer, with a nickname; a partner follows the same pregnancy.
    reader = services.sign_up_with_line(municipality, LINE_ID, registration())
    shared = reader.subscriptions.get().child
    partner = family(
        municipality, due=due_for(20), nickname="パパ", relationship="partner"
    ).subscriber
    partner.subscriptions.update(child=shared)
    # A second child only this reader follows.
    own = services.add_child(reader, birth_date=TODAY - datetime.timedelta(days=40))
    planner.plan_day(TODAY, [municipality])
    dispatch.dispatch()
    assert Delivery.objects.filter(subscriber=reader, status="sent", channel="line").exists()

    # Moved from LINE to email, giving an address.
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    move = moves.announce(municipality, by=editor, direction=ChannelMove.Direction.TO_EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        request = moves.request_email(move, Subscriber.objects.get(pk=reader.pk), ADDRESS)
    moves.confirm_email(request.pk)

    # Mail a week later (week 21); the ESP reports a hard bounce whose text names the address.
    tomorrow = TODAY + datetime.timedelta(days=7)
    with time_machine.travel(MORNING + datetime.timedelta(days=7), tick=False):
        planner.plan_day(tomorrow, [municipality])
        dispatch.dispatch()
        by_mail = Delivery.objects.filter(subscriber=reader, channel="email", status="sent")
        bounced = by_mail.exclude(provider_message_id="").first()
        assert bounced is not None
        record_email_feedback(
            bounced.provider_message_id, "bounced", f"550 5.1.1 <{ADDRESS}>: user unknown"
        )

        # Answered the survey, writing the address and nickname in the free text.
        survey = make_survey(municipality, opens_on=tomorrow)
        answers = {q.pk: 1 for q in survey.questions.filter(kind__in=["satisfaction", "single"])}
        comment = survey.questions.get(kind="text")
        answers[comment.pk] = f"{NICKNAME}です。返事は {ADDRESS} へ"
        surveys.submit_response(survey, Subscriber.objects.get(pk=reader.pk), answers)

        # Left, with a comment that names the address.
        services.unsubscribe(reader.pk, f"配信が多い / 連絡は {ADDRESS} まで")

    # Someone else registered and never clicked the confirmation.
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_up(municipality, registration(email=STRANGER, nickname="みしょうにん"))

    left = Subscriber.objects.get(pk=reader.pk)
    assert left.email == ADDRESS and left.line_user_id == LINE_ID
    before = whole_database_text()
    for needle in (ADDRESS, LINE_ID, NICKNAME, STRANGER):
        assert found(needle, before), needle  # the search would see them

    later = TODAY + datetime.timedelta(days=38)
    with time_machine.travel(MORNING + datetime.timedelta(days=38, hours=-4), tick=False):
        stats.recount_days([TODAY, tomorrow])
        retention.roll_up(later)  # the nightly roll-up left slim sent-message records
        assert SentMessage.objects.filter(subscriber=reader).exists()
        counted = _day_totals(municipality)
        assert erase_unsubscribed_readers() == 2  # the reader who left, the stranger

    dump = whole_database_text()
    for needle in (ADDRESS, LINE_ID, NICKNAME, STRANGER, "みしょうにん"):
        assert found(needle, dump) == [], needle

    erased = Subscriber.objects.get(pk=reader.pk)
    assert erased.erased_at is not None
    # What stays is anonymous: the chosen reason (without the comment), source and dates.
    assert (erased.unsubscribe_reason, erased.signup_tag, erased.channel_stop_reason) == (
        "配信が多い",
        "boshitecho",
        "",
    )
    assert not Delivery.objects.filter(subscriber=reader).exists()
    assert not SentMessage.objects.filter(subscriber=reader).exists()
    assert not erased.subscriptions.exists()
    assert not Child.objects.filter(pk=own.pk).exists()
    assert Child.objects.filter(pk=shared.pk).exists()  # the partner still follows it
    assert Subscriber.objects.get(pk=partner.pk).is_active
    assert not Subscriber.objects.filter(email=STRANGER).exists()
    # The survey keeps the reader's choices for its figures; the free text is gone.
    response = Response.objects.get(subscriber=reader)
    assert Answer.objects.filter(response=response, choice__isnull=False).count() == 2
    assert not Answer.objects.filter(response=response).exclude(text="").exists()
    # The day counts (what the dashboard shows) do not change.
    assert _day_totals(municipality) == counted


def _day_totals(municipality) -> dict:
    days = sorted(set(DayCount.objects.values_list("day", flat=True)))
    stats.recount_days(days)
    return {
        (row.day, row.channel, row.status): row.count
        for row in DayCount.objects.filter(municipality=municipality)
    }


def test_a_registration_never_confirmed_is_deleted_after_the_stated_days(
    municipality, morning, settings, django_capture_on_commit_callbacks
):
    settings.KIZUNA_UNCONFIRMED_DAYS = 7
    with django_capture_on_commit_callbacks(execute=True):
        services.sign_up(municipality, registration(email=STRANGER))
    assert Subscriber.objects.filter(email=STRANGER).exists()
    with time_machine.travel(clock.now() + datetime.timedelta(days=6), tick=False):
        erase_unsubscribed_readers()
        assert Subscriber.objects.filter(email=STRANGER).exists()  # the link may still be used
    with time_machine.travel(clock.now() + datetime.timedelta(days=7, minutes=1), tick=False):
        erase_unsubscribed_readers()
    assert not Subscriber.objects.filter(email=STRANGER).exists()
    assert not Child.objects.exists()
