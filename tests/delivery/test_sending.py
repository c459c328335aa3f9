"""Sending through real SMTP and loopback fakes of Postmark and LINE, with their failures."""

import datetime
import re
import threading
import time

import pytest
import time_machine
from django.db import connection

from content.models import SpecialMessage
from content.services import load_pack
from delivery import claim, compose, dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from subscribers import services
from subscribers.models import Subscriber
from tests.delivery.conftest import TODAY, due_for, family, line_user

pytestmark = pytest.mark.django_db


def _plan_and_send(municipality, on=None, **options):
    planner.plan_day(on or clock.today(), [municipality])
    return dispatch.dispatch(**options)


def test_email_goes_out_over_smtp_with_sender_links_and_a_stable_message_id(
    municipality, texts, smtp, morning
):
    subscription = family(municipality, due=due_for(20), nickname="はな")
    report = _plan_and_send(municipality)
    assert report.outcomes == {"sent": 1}
    [message] = smtp.messages
    delivery = Delivery.objects.get()
    assert message["To"] == subscription.subscriber.email
    assert "江東区" in message["From"] and "kosodate@city.koto.example.jp" in message["From"]
    assert message["Message-ID"] == compose.message_id(delivery)
    assert re.fullmatch(r"<kizuna-[0-9a-f]{32}@city\.koto\.example\.jp>", message["Message-ID"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/u/" in message["List-Unsubscribe"]
    assert message["Subject"].startswith("妊娠20週")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "江東区の保健センター" in text and "/manage/" in text
    assert "<h2>" in html or "<h3>" in html
    assert delivery.status == "sent" and delivery.sent_at is not None
    assert delivery.stage_message.number == 20
    assert "stage_message" in delivery.text_versions


def test_partners_get_their_variant_and_fall_back_to_everyone(municipality, texts, smtp, morning):
    mother = family(municipality, due=due_for(20))
    partner = family(municipality, relationship="partner", due=due_for(20))
    english = family(municipality, language="en", due=due_for(20))
    _plan_and_send(municipality)
    bodies = {m["To"]: m.get_body(preferencelist=("plain",)).get_content() for m in smtp.messages}
    assert "支えてあげてください" in bodies[partner.subscriber.email]
    assert "保健センター" in bodies[mother.subscriber.email]
    assert "保健センター" in bodies[english.subscriber.email]  # no English text: Japanese


def test_line_push_with_a_retry_key_and_multicast_for_identical_texts(
    municipality, texts, line, morning
):
    readers = [
        family(municipality, due=due_for(20), channel="line", line_user_id=line_user(n), email=None)
        for n in range(3)
    ]
    report = _plan_and_send(municipality)
    assert report.outcomes == {"sent": 3}
    assert sorted(user for user, _ in line.received) == sorted(
        r.subscriber.line_user_id for r in readers
    )
    assert all(text.startswith("妊娠20週") or "妊娠20週" in text for _, text in line.received)
    assert dict(line.requests) == {"/v2/bot/message/multicast": 1}  # the same text: one call


def test_a_line_request_accepted_but_answered_with_500_is_not_sent_twice(
    municipality, texts, line, morning
):
    family(
        municipality,
        due=due_for(20),
        channel="line",
        line_user_id=line_user(1),
        email=None,
        nickname="はな",
    )
    line.faults.plan = ["accept-500"]
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"retry": 1}
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("planned", 1)
    with time_machine.travel(clock.now() + datetime.timedelta(minutes=5)):
        assert dispatch.dispatch().outcomes == {"sent": 1}
    assert len(line.received) == 1  # LINE kept the first; the retry's key was already accepted
    assert Delivery.objects.get().status == "sent"


@pytest.mark.parametrize("fault", ["429", "500", "hang"])
def test_transient_line_errors_retry_with_backoff(
    municipality, texts, line, morning, fault, settings
):
    line.faults.plan = [fault]
    line.faults.hang_seconds = 20
    family(municipality, due=due_for(20), channel="line", line_user_id=line_user(2), email=None)
    planner.plan_day(clock.today(), [municipality])
    settings.LINE_TIMEOUT_SECONDS = 1
    assert dispatch.dispatch().outcomes == {"retry": 1}
    delivery = Delivery.objects.get()
    assert delivery.status == "planned"
    assert delivery.next_attempt_at > clock.now()
    assert delivery.last_error
    assert dispatch.dispatch().outcomes == {}  # not due again yet
    with time_machine.travel(clock.now() + datetime.timedelta(minutes=5)):
        assert dispatch.dispatch().outcomes == {"sent": 1}
    assert len(line.received) == 1


def test_a_blocked_line_user_fails_once_and_stops_line_for_that_reader(
    municipality, texts, line, morning
):
    line.blocked.add(line_user(9))
    blocked = family(
        municipality,
        due=due_for(20),
        channel="line",
        line_user_id=line_user(9),
        email=None,
        nickname="a",
    )
    family(
        municipality,
        due=due_for(20),
        channel="line",
        line_user_id=line_user(8),
        email=None,
        nickname="b",
    )
    report = _plan_and_send(municipality)
    assert report.outcomes == {"sent": 1, "failed": 1}
    reader = Subscriber.objects.get(pk=blocked.subscriber_id)
    assert reader.channel_stopped_at is not None and "LINE 400" in reader.channel_stop_reason
    planner.plan_day(clock.today() + datetime.timedelta(days=7), [municipality])
    assert not Delivery.objects.filter(subscriber=reader, status="planned").exists()


def test_smtp_refusals_permanent_and_temporary(municipality, texts, smtp, morning):
    smtp.refuse = {
        "gone@example.jp": "550 5.1.1 No such user",
        "busy@example.jp": "451 4.3.0 Try later",
    }
    gone = family(municipality, due=due_for(20), email="gone@example.jp")
    busy = family(municipality, due=due_for(20), email="busy@example.jp")
    ok = family(municipality, due=due_for(20), email="ok@example.jp")
    report = _plan_and_send(municipality)
    assert report.outcomes == {"sent": 1, "failed": 1, "retry": 1}
    statuses = dict(Delivery.objects.values_list("subscriber_id", "status"))
    assert statuses == {
        gone.subscriber_id: "failed",
        busy.subscriber_id: "planned",
        ok.subscriber_id: "sent",
    }
    assert Subscriber.objects.get(pk=gone.subscriber_id).channel_stopped_at is not None
    assert Subscriber.objects.get(pk=busy.subscriber_id).channel_stopped_at is None


def test_postmark_through_anymail_with_429_and_an_inactive_recipient(
    municipality, texts, postmark, morning, settings
):
    settings.KIZUNA_EMAIL_BATCH_SIZE = 1  # one message per API call, through django-anymail
    postmark.rejected.add("inactive@example.jp")
    postmark.faults.plan = ["429"]
    first = family(municipality, due=due_for(20), email="first@example.jp")
    family(municipality, due=due_for(20), email="inactive@example.jp")
    family(municipality, due=due_for(20), email="third@example.jp")
    started = time.monotonic()
    report = _plan_and_send(municipality)
    # The 429's Retry-After (1 s) held the whole account back, and by then the refused message
    # was due again: it went out in the same run, on its second attempt.
    assert report.outcomes == {"retry": 1, "failed": 1, "sent": 2}
    assert time.monotonic() - started >= 1.0
    retried = Delivery.objects.get(subscriber=first.subscriber)
    assert (retried.status, retried.attempts) == ("sent", 2)
    assert sorted(r["To"] for r in postmark.received) == ["first@example.jp", "third@example.jp"]
    sent = postmark.received[0]
    assert postmark.headers_of(sent)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Delivery.objects.get(subscriber=first.subscriber).provider_message_id == next(
        r["MessageID"] for r in postmark.received if r["To"] == "first@example.jp"
    )


def test_postmark_batches_with_429_and_an_inactive_recipient(
    municipality, texts, postmark, morning, settings
):
    settings.KIZUNA_EMAIL_BATCH_SIZE = 2
    postmark.rejected.add("inactive@example.jp")
    postmark.faults.plan = ["429"]
    emails = ["first@example.jp", "inactive@example.jp", "third@example.jp"]
    readers = {e: family(municipality, due=due_for(20), email=e, nickname="はな") for e in emails}

    # The first request (two messages) is refused with Retry-After: 1. The account is held
    # back that long, so the second request waits; by then the refused two are due again.
    started = time.monotonic()
    report = _plan_and_send(municipality)
    assert time.monotonic() - started >= 1.0
    assert report.outcomes == {"retry": 2, "sent": 2, "failed": 1}
    # Two batches taken (the refused request is not counted); nothing through /email.
    assert postmark.requests["/email/batch"] == 2 and "/email" not in postmark.requests
    retried = Delivery.objects.get(subscriber=readers["first@example.jp"].subscriber)
    assert (retried.status, retried.attempts) == ("sent", 2)
    assert sorted(r["To"] for r in postmark.received) == ["first@example.jp", "third@example.jp"]
    stopped = Subscriber.objects.get(pk=readers["inactive@example.jp"].subscriber_id)
    assert stopped.channel_stopped_at is not None
    failed = Delivery.objects.get(subscriber=stopped)
    assert failed.status == "failed" and "inactive@example.jp" not in failed.last_error
    for received in postmark.received:
        delivery = Delivery.objects.get(subscriber__email=received["To"])
        headers = postmark.headers_of(received)
        # Each reader's own message: their Message-ID, their unsubscribe link, their name.
        assert delivery.provider_message_id == received["MessageID"]
        assert headers["Message-ID"] == compose.message_id(delivery)
        assert (
            headers["List-Unsubscribe"].startswith("<http") and "/u/" in headers["List-Unsubscribe"]
        )
        assert "はなさん" in received["TextBody"] and "/manage/" in received["TextBody"]
    unsubscribe_links = {postmark.headers_of(r)["List-Unsubscribe"] for r in postmark.received}
    assert len(unsubscribe_links) == 2


def test_postmark_batch_that_is_refused_whole_stops_nobody(
    municipality, texts, postmark, morning, settings
):
    postmark.batch_limit = 1  # an account allowing fewer messages per call than we send
    for n in range(3):
        family(municipality, due=due_for(20), email=f"r{n}@example.jp")
    report = _plan_and_send(municipality)
    assert report.outcomes == {"retry": 3}
    assert not postmark.received
    assert not Subscriber.objects.filter(channel_stopped_at__isnull=False).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"planned"}
    assert "Postmark 422" in Delivery.objects.first().last_error


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_send_the_same_delivery(municipality, texts, smtp, morning):
    for n in range(120):
        family(municipality, due=due_for(20), email=f"p{n}@example.jp")
    planner.plan_day(clock.today(), [municipality])
    reports = []

    def worker():
        try:
            reports.append(dispatch.dispatch(batch_size=10))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.outcomes["sent"] for r in reports) == 120
    assert len(smtp.messages) == 120
    assert set(smtp.by_message_id().values()) == {1}


def test_a_claim_left_by_a_dead_worker_is_taken_up_after_its_lease(
    municipality, texts, smtp, morning
):
    family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    assert len(claim.claim(10)) == 1  # the worker dies here, before sending
    assert dispatch.dispatch().outcomes == {}  # still leased
    with time_machine.travel(clock.now() + claim.lease() + datetime.timedelta(seconds=1)):
        assert dispatch.dispatch().outcomes == {"sent": 1}
    assert len(smtp.messages) == 1
    assert Delivery.objects.get().attempts == 2


def test_nothing_goes_out_after_a_loss_an_unsubscribe_or_too_long_a_wait(
    municipality, texts, smtp, morning, settings
):
    lost = family(municipality, due=due_for(20))
    left = family(municipality, due=due_for(20))
    planner.plan_day(clock.today(), [municipality])
    services.report_loss(lost.child_id, "miscarriage")
    services.unsubscribe(left.subscriber_id)
    old = family(municipality, due=due_for(20, on=clock.today() - datetime.timedelta(days=5)))
    planner.plan_day(clock.today() - datetime.timedelta(days=5), [municipality])
    report = dispatch.dispatch()
    assert report.outcomes == {"sent": 1, "skipped": 1}
    [message] = smtp.messages
    assert message["To"] == lost.subscriber.email and message["Subject"] == "loss"
    assert Delivery.objects.get(subscriber=old.subscriber).status == "skipped"


def test_a_paused_municipality_waits_and_resumes_without_loss_or_doubles(
    municipality, texts, smtp, morning
):
    family(municipality, due=due_for(20))
    municipality.paused = True
    municipality.save()
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {}
    assert Delivery.objects.get().status == "planned"
    municipality.paused = False
    municipality.save()
    planner.plan_day(clock.today(), [municipality])
    assert dispatch.dispatch().outcomes == {"sent": 1}
    assert dispatch.dispatch().outcomes == {}
    assert len(smtp.messages) == 1


def test_the_loss_message_is_chosen_by_the_situation_and_the_old_key_still_works(
    municipality, texts, smtp, morning
):
    """A stillbirth and a child's death get their own texts; a loss whose own text is not
    published yet gets the general one. All go out under the one key c<child>:special:loss."""
    for kind in ("loss-stillbirth", "loss-child"):
        SpecialMessage.objects.create(
            kind=kind, subject=kind, body=f"## {kind}\n本文です。", published=True
        )
    stillbirth = family(municipality, due=due_for(30))
    child_death = family(municipality, birth=TODAY - datetime.timedelta(days=40))
    miscarriage = family(municipality, due=due_for(10))
    services.report_loss(stillbirth.child_id, "stillbirth")
    services.report_loss(child_death.child_id, "infant_death")
    services.report_loss(miscarriage.child_id, "miscarriage")
    assert dispatch.dispatch().outcomes == {"sent": 3}
    got = {m["To"]: m["Subject"] for m in smtp.messages}
    assert got == {
        stillbirth.subscriber.email: "loss-stillbirth",
        child_death.subscriber.email: "loss-child",
        miscarriage.subscriber.email: "loss",
    }
    assert set(Delivery.objects.values_list("message_key", flat=True)) == {
        f"c{s.child_id}:special:loss" for s in (stillbirth, child_death, miscarriage)
    }


@pytest.mark.parametrize(
    ("loss", "subject", "words"),
    [
        ("miscarriage", "大切な命とのお別れに", ("妊婦のための支援給付", "母乳")),
        ("stillbirth", "赤ちゃんとのお別れに", ("死産届", "母乳", "出産育児一時金")),
        ("infant_death", "お子さまとのお別れに", ("死亡届", "授乳")),
    ],
)
def test_the_packs_own_loss_message_for_the_situation_is_sent(
    municipality, smtp, morning, loss, subject, words
):
    load_pack(language="ja")
    lost = family(municipality, due=due_for(30))
    services.report_loss(lost.child_id, loss)
    assert dispatch.dispatch().outcomes == {"sent": 1}
    [message] = smtp.messages
    assert message["Subject"] == subject
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert all(word in text for word in words)
    assert "パートナー" not in text


def test_the_welcome_and_loss_messages_reach_the_right_people(municipality, texts, smtp, morning):
    municipality.contacts.create(name="江東区 保健相談所", phone="03-0000-1234")
    mother = family(municipality, due=due_for(20), confirmed_at=None)
    services.confirm(mother.subscriber_id, mother.child_id)
    dispatch.dispatch()
    assert [m["Subject"] for m in smtp.messages] == ["welcome"]
    services.report_loss(mother.child_id, "stillbirth")
    dispatch.dispatch()
    assert [m["Subject"] for m in smtp.messages] == ["welcome", "loss"]
    loss = smtp.messages[1].get_body(preferencelist=("plain",)).get_content()
    assert "03-0000-1234" in loss
