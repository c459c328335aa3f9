"""Urgent notices: who gets them, the second editor's approval, exactly once, first in line."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from delivery import claim, dispatch, planner
from delivery.models import Delivery
from municipalities.models import StaffMembership
from subscribers import services as subscriber_services
from tests.delivery.conftest import MORNING, TODAY, due_for, family, line_user
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from urgent_notices import selectors, services
from urgent_notices.models import UrgentNotice

pytestmark = pytest.mark.django_db


@pytest.fixture
def editors(municipality):
    author, approver = make_user("koto-author"), make_user("koto-approver")
    for user in (author, approver):
        StaffMembership.objects.create(user=user, municipality=municipality, role="editor")
    return author, approver


def notice(municipality, author, **fields):
    return UrgentNotice.objects.create(
        municipality=municipality,
        created_by=author,
        title=fields.pop("title", "台風の接近に伴う健診の中止"),
        body=fields.pop("body", "{{ nickname }}さん、明日の健診は中止します。"),
        **fields,
    )


def born_months_ago(months: int) -> datetime.date:
    """A birth date making the child exactly ``months`` old (and a few days) today."""
    from content.stages import add_months

    return add_months(TODAY, -months) - datetime.timedelta(days=3)


def test_audiences_pick_expecting_or_children_by_age_and_skip_those_who_left(
    municipality, editors, morning
):
    pregnant = family(municipality, due=due_for(20))
    baby = family(municipality, birth=born_months_ago(2))
    toddler = family(municipality, birth=born_months_ago(20))
    left = family(municipality, due=due_for(12))
    subscriber_services.unsubscribe(left.subscriber_id)
    unconfirmed = family(municipality, due=due_for(25), confirmed_at=None)
    elsewhere = family(MunicipalityFactory(), due=due_for(20))
    author = editors[0]

    def ids(n):
        return set(selectors.recipients(n).values_list("pk", flat=True))

    everyone = ids(notice(municipality, author))
    assert everyone == {pregnant.subscriber_id, baby.subscriber_id, toddler.subscriber_id}
    assert unconfirmed.subscriber_id not in everyone and elsewhere.subscriber_id not in everyone
    assert ids(notice(municipality, author, audience="expecting")) == {pregnant.subscriber_id}
    infants = notice(municipality, author, audience="children", age_months_from=0, age_months_to=11)
    assert ids(infants) == {baby.subscriber_id}
    assert ids(
        notice(municipality, author, audience="children", age_months_from=20, age_months_to=20)
    ) == {toddler.subscriber_id}


def test_readers_who_reported_a_loss_are_left_out_unless_the_notice_is_for_them(
    municipality, editors, morning
):
    pregnant = family(municipality, due=due_for(20))
    bereaved = family(municipality, due=due_for(18))
    subscriber_services.report_loss(bereaved.child_id, "miscarriage")
    author = editors[0]
    ordinary = notice(municipality, author)
    assert set(selectors.recipients(ordinary).values_list("pk", flat=True)) == {
        pregnant.subscriber_id
    }
    disaster = notice(municipality, author, include_bereaved=True, title="避難所の開設")
    assert set(selectors.recipients(disaster).values_list("pk", flat=True)) == {
        pregnant.subscriber_id,
        bereaved.subscriber_id,
    }


def test_the_author_cannot_approve_and_a_second_editor_sends_it(municipality, editors, morning):
    author, approver = editors
    viewer = make_user("koto-viewer")
    StaffMembership.objects.create(user=viewer, municipality=municipality, role="viewer")
    other_editor = make_user("midori-editor")
    StaffMembership.objects.create(
        user=other_editor, municipality=MunicipalityFactory(), role="editor"
    )
    family(municipality, due=due_for(20))
    draft = notice(municipality, author)

    services.submit(draft.pk, by=author)
    assert Delivery.objects.count() == 0
    for someone, message in (
        (author, "作成した本人は承認できません"),
        (viewer, "編集者だけが承認できます"),
        (other_editor, "編集者だけが承認できます"),
    ):
        with pytest.raises(services.NoticeError, match=message):
            services.approve(draft.pk, by=someone)
    assert Delivery.objects.count() == 0

    approved = services.approve(draft.pk, by=approver)
    assert approved.status == "sent" and approved.approved_by == approver
    assert approved.recipients == 1
    assert list(Delivery.objects.values_list("message_key", flat=True)) == [f"urgent:{draft.pk}"]


def test_without_required_approval_the_author_sends_it(municipality, editors, morning, settings):
    settings.KIZUNA_URGENT_APPROVAL_REQUIRED = False
    family(municipality, due=due_for(20))
    draft = notice(municipality, editors[0])
    assert services.submit(draft.pk, by=editors[0]).status == "sent"
    assert Delivery.objects.filter(message_key=f"urgent:{draft.pk}").count() == 1


def test_each_reader_gets_it_exactly_once_per_channel(
    municipality, editors, texts, smtp, line, morning
):
    by_mail = [family(municipality, due=due_for(20), nickname=f"ママ{n}") for n in range(3)]
    by_line = [
        family(municipality, birth=born_months_ago(4), channel="line", line_user_id=line_user(n))
        for n in range(2)
    ]
    author, approver = editors
    draft = notice(municipality, author)
    services.submit(draft.pk, by=author)
    services.approve(draft.pk, by=approver)
    services.approve(draft.pk, by=approver)  # a double click
    services.queue(UrgentNotice.objects.get(pk=draft.pk))  # and a second queueing
    dispatch.dispatch()
    dispatch.dispatch()

    mails = [m for m in smtp.messages if "台風" in m["Subject"]]
    assert sorted(m["To"] for m in mails) == sorted(f.subscriber.email for f in by_mail)
    assert {str(m["Subject"]).strip() for m in mails} == {
        "【重要なお知らせ】台風の接近に伴う健診の中止"
    }
    body = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert "明日の健診は中止します" in body and "/u/" in body
    line_texts = [(user, text) for user, text in line.received if "台風" in text]
    assert sorted(user for user, _ in line_texts) == sorted(
        f.subscriber.line_user_id for f in by_line
    )
    assert "/manage/" not in line_texts[0][1]  # LINE text carries no personal link
    progress = selectors.progress(UrgentNotice.objects.get(pk=draft.pk))
    assert progress["email"]["sent"] == 3 and progress["line"]["sent"] == 2
    sent = Delivery.objects.get(subscriber=by_mail[0].subscriber, message_key=f"urgent:{draft.pk}")
    assert sent.text_versions == {"urgent_notice": draft.pk}


def test_urgent_deliveries_are_claimed_before_the_days_stage_messages(
    municipality, editors, texts, morning
):
    for _ in range(5):
        family(municipality, due=due_for(20))
    planner.plan_day(TODAY, [municipality])
    stage_rows = Delivery.objects.count()
    assert stage_rows == 5
    author, approver = editors
    with time_machine.travel(MORNING + datetime.timedelta(hours=2)):
        draft = notice(municipality, author)
        services.submit(draft.pk, by=author)
        services.approve(draft.pk, by=approver)
        claimed = claim.claim(5)
    keys = set(Delivery.objects.filter(pk__in=claimed).values_list("message_key", flat=True))
    assert keys == {f"urgent:{draft.pk}"}


def test_a_loss_reported_after_queueing_still_keeps_the_notice_away(
    municipality, editors, texts, smtp, morning
):
    pregnant = family(municipality, due=due_for(20))
    author, approver = editors
    draft = notice(municipality, author)
    services.submit(draft.pk, by=author)
    services.approve(draft.pk, by=approver)
    subscriber_services.report_loss(pregnant.child_id, "miscarriage")
    dispatch.dispatch()
    assert not [m for m in smtp.messages if "台風" in m["Subject"]]
    delivery = Delivery.objects.get(message_key=f"urgent:{draft.pk}")
    assert delivery.status == "skipped" and "お別れ" in delivery.last_error


def test_a_scheduled_notice_waits_for_its_time(municipality, editors, morning):
    family(municipality, due=due_for(20))
    author, approver = editors
    send_at = MORNING + datetime.timedelta(hours=3)
    draft = notice(municipality, author, send_at=send_at)
    services.submit(draft.pk, by=author)
    assert services.approve(draft.pk, by=approver).status == "scheduled"
    assert services.queue_due() == [] and Delivery.objects.count() == 0
    with time_machine.travel(send_at + datetime.timedelta(seconds=30)):
        assert services.queue_due() == [draft.pk]
        assert services.queue_due() == []
    assert Delivery.objects.filter(message_key=f"urgent:{draft.pk}").count() == 1


def test_cancelling_after_sending_started_stops_what_has_not_gone(municipality, editors, morning):
    for _ in range(3):
        family(municipality, due=due_for(20))
    author, approver = editors
    draft = notice(municipality, author)
    services.submit(draft.pk, by=author)
    services.approve(draft.pk, by=approver)
    services.cancel(draft.pk, by=approver)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"skipped"}


def test_staff_write_preview_and_approve_in_the_pages(municipality, editors, morning):
    family(municipality, due=due_for(20))
    family(municipality, due=due_for(30), channel="line", line_user_id=line_user(1))
    author, approver = editors
    client = Client()
    client.force_login(author)
    refused = client.post(
        reverse("urgent_notices:create", args=[municipality.pk]),
        {
            "title": "お知らせ",
            "body": "<script>alert(1)</script> {{ week }}",
            "audience": "everyone",
        },
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "HTMLタグ" in page and "{{ week }}" in page
    assert UrgentNotice.objects.count() == 0

    created = client.post(
        reverse("urgent_notices:create", args=[municipality.pk]),
        {
            "title": "ワクチンの供給について",
            "body": "**今週の接種**は延期します。",
            "audience": "everyone",
        },
    )
    draft = UrgentNotice.objects.get()
    assert created.url == reverse("urgent_notices:detail", args=[draft.pk])
    detail = client.get(created.url).content.decode()
    assert "<strong>今週の接種</strong>" in detail.replace("&lt;", "<").replace("&gt;", ">")
    assert "テキストメール" in detail and "LINE" in detail
    assert 'kz-stat-num">2<' in detail  # two readers, one per channel
    client.post(reverse("urgent_notices:act", args=[draft.pk, "submit"]))
    response = client.post(reverse("urgent_notices:act", args=[draft.pk, "approve"]), follow=True)
    assert "作成した本人は承認できません" in response.content.decode()

    client.force_login(approver)
    response = client.post(reverse("urgent_notices:act", args=[draft.pk, "approve"]), follow=True)
    assert "送信を始めました（2人）" in response.content.decode()
    assert "送信の進み具合" in response.content.decode()


def test_other_municipalities_staff_see_and_do_nothing(municipality, editors, morning):
    other = MunicipalityFactory()
    outsider = make_user("outsider")
    StaffMembership.objects.create(user=outsider, municipality=other, role="editor")
    draft = notice(municipality, editors[0])
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("urgent_notices:detail", args=[draft.pk])).status_code == 404
    assert client.post(reverse("urgent_notices:act", args=[draft.pk, "cancel"])).status_code == 404
    assert client.get(reverse("urgent_notices:create", args=[municipality.pk])).status_code == 404
    assert "台風" not in client.get(reverse("urgent_notices:list")).content.decode()
    assert UrgentNotice.objects.get().status == "draft"
    # A viewer of the municipality reads but cannot write.
    viewer = make_user("koto-viewer")
    StaffMembership.objects.create(user=viewer, municipality=municipality, role="viewer")
    client.force_login(viewer)
    assert client.get(reverse("urgent_notices:detail", args=[draft.pk])).status_code == 200
    assert client.get(reverse("urgent_notices:create", args=[municipality.pk])).status_code == 404
    assert client.post(reverse("urgent_notices:act", args=[draft.pk, "submit"])).status_code == 302
    assert UrgentNotice.objects.get().status == "draft"
