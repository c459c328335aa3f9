"""Survey invitations through the real delivery engine: SMTP on loopback and a fake LINE."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from delivery import dispatch
from delivery.models import Delivery
from kizuna import clock
from subscribers import services as subscriber_services
from surveys import services
from tests.delivery.conftest import LINE_TOKEN, due_for, family, line_user
from tests.factories import SubscriptionFactory

from .conftest import TODAY

LINK = re.compile(r"https?://\S+?/survey/[^/\s）)\"<]+/")


@pytest.fixture
def line_town(town, monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN_AOBA", LINE_TOKEN)
    town.line_enabled = True
    town.save()
    return town


def test_mail_and_line_carry_each_reader_their_own_working_link(
    line_town,
    survey,
    smtp,
    line,
    now,
):
    survey.intro = "いつも{{ service_name }}をお読みいただきありがとうございます。"
    survey.save()
    mother = family(line_town, due=due_for(20, TODAY), nickname="はな").subscriber
    dad = family(
        line_town, due=due_for(30, TODAY), channel="line", line_user_id=line_user(1), email=None
    ).subscriber
    services.send_survey(survey)

    report = dispatch.dispatch()

    assert report.outcomes == {"sent": 2}
    [mail] = smtp.messages
    assert mail["To"] == mother.email
    assert mail["Subject"].strip() == "【令和8年度】子育てメール 読者アンケートへのご協力のお願い"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "はなさん、こんにちは。" in text
    assert "いつもあおば子育てメールをお読みいただき" in text
    assert "2026年12月14日（月）" in text
    mail_link = LINK.search(text).group(0)
    assert f'href="{mail_link}"' in html
    assert "kizuna.invalid" not in text + html
    [(user, line_text)] = line.received
    assert user == dad.line_user_id
    line_link = LINK.search(line_text).group(0)
    assert line_link != mail_link  # personal links: the LINE text is pushed, not multicast
    assert dict(line.requests) == {"/v2/bot/message/push": 1}

    client = Client()
    for link, _reader in ((mail_link, mother), (line_link, dad)):
        page = client.get(urlsplit(link).path)
        assert page.status_code == 200
        assert "メールの内容に満足していますか" in page.content.decode()
    delivery = Delivery.objects.get(subscriber=mother)
    assert delivery.text_versions == {"survey": survey.pk}


def test_invitation_is_not_sent_after_a_loss_or_once_the_survey_has_closed(
    town,
    survey,
    smtp,
    now,
):
    grieving = family(town, due=due_for(20, TODAY))
    partner = SubscriptionFactory(subscriber__municipality=town, child=grieving.child)
    late = family(town, due=due_for(25, TODAY)).subscriber
    services.send_survey(survey)
    # The loss is reported while the invitation is being claimed: the Composer still holds it.
    Delivery.objects.filter(subscriber=grieving.subscriber).update(status="sending")
    subscriber_services.report_loss(grieving.child_id, "miscarriage")
    claimed = list(
        Delivery.objects.filter(subscriber=grieving.subscriber).values_list("pk", flat=True)
    )
    dispatch.send_claimed(claimed)
    skipped = Delivery.objects.get(subscriber=grieving.subscriber, message_key=survey.message_key)
    assert skipped.status == "skipped"
    assert skipped.last_error == "お別れの報告があったためアンケートは送りません"
    assert (
        Delivery.objects.get(subscriber=partner.subscriber, message_key=survey.message_key).status
        == "skipped"
    )

    # The municipality was paused until after the close date: nothing goes out late.
    with time_machine.travel(
        datetime.datetime.combine(
            survey.closes_on + datetime.timedelta(days=1), datetime.time(9), tzinfo=clock.TOKYO
        )
    ):
        dispatch.dispatch()
    assert Delivery.objects.get(subscriber=late, message_key=survey.message_key).last_error == (
        "アンケートの受付期間外のため送りません"
    )
    assert [m["To"] for m in smtp.messages if "アンケート" in m["Subject"]] == []


# What a mail app or LINE takes as the link: everything from http up to the next white space.
# A full-width bracket or colon glued to the URL is taken in too, and the link breaks.
GREEDY_LINK_DETECTOR = re.compile(r"https?://\S+")


def test_the_survey_link_stands_on_its_own_line_in_text_mail_and_line(
    line_town, survey, smtp, line, now
):
    family(line_town, due=due_for(20, TODAY), nickname="はな")
    family(line_town, due=due_for(30, TODAY), channel="line", line_user_id=line_user(1), email=None)
    services.send_survey(survey)
    dispatch.dispatch()
    [mail] = smtp.messages
    text = mail.get_body(preferencelist=("plain",)).get_content()
    [(_, line_text)] = line.received
    for body in (text.replace("\r\n", "\n"), line_text):
        link = LINK.search(body).group(0)
        taken = [found for found in GREEDY_LINK_DETECTOR.findall(body) if "/survey/" in found]
        assert taken == [link], taken
        assert f"\n{link}\n" in body
    for url in GREEDY_LINK_DETECTOR.findall(text):  # the manage and unsubscribe links too
        assert re.fullmatch(r"https?://[\x21-\x7e]+", url), url


def test_a_vietnamese_readers_invitation_speaks_vietnamese_around_the_surveys_own_words(
    town, survey, smtp, now
):
    reader = family(town, due=due_for(20, TODAY), nickname="Lan").subscriber
    reader.language = "vi"
    reader.save(update_fields=["language"])
    services.send_survey(survey)

    assert dispatch.dispatch().outcomes == {"sent": 1}
    [mail] = smtp.messages
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Trả lời khảo sát" in text  # アンケートに回答する, from the vi catalog
    assert "アンケートに回答する" not in text and "締め切り" not in text
    assert "子育てメール 読者アンケート" in mail["Subject"]  # the title as staff wrote it
