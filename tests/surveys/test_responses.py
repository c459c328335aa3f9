"""Answering: one response per reader, editable until the survey closes; bad links explained."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from kizuna import clock
from subscribers.links import manage_token
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, make_token
from surveys.links import survey_token
from surveys.models import Answer, Response
from tests.delivery.conftest import due_for, family
from tests.factories import MunicipalityFactory

from .conftest import NOW, TODAY, make_survey, questions_of


@pytest.fixture
def mother(town, now):
    return family(town, due=due_for(20, TODAY), nickname="はな").subscriber


def url(subscriber, survey) -> str:
    return reverse("surveys:answer", args=[survey_token(subscriber, survey)])


def post(client, link, survey, *, satisfaction="5", frequency="1", useful=(), comment=""):
    s, f, u, c = questions_of(survey)
    data = {
        f"q{s.pk}": satisfaction,
        f"q{f.pk}": frequency,
        f"q{u.pk}": list(useful),
        f"q{c.pk}": comment,
    }
    return client.post(link, {k: v for k, v in data.items() if v not in ("", None)})


def test_the_form_shows_every_question_and_works_without_javascript(mother, survey):
    page = Client().get(url(mother, survey))

    assert page.status_code == 200
    html = page.content.decode()
    assert "令和8年度（2026年度）" in html
    assert "問1　メールの内容に満足していますか" in html
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<textarea" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert "<script" not in html
    assert 'name="viewport"' in html


def test_answering_stores_one_response_with_stage_and_relationship(mother, survey):
    client = Client(enforce_csrf_checks=False)
    link = url(mother, survey)

    answered = post(
        client,
        link,
        survey,
        satisfaction="4",
        frequency="2",
        useful=["1", "3"],
        comment="毎日楽しみです",
    )

    assert answered.status_code == 302
    assert answered["Location"] == reverse("surveys:thanks", args=[survey_token(mother, survey)])
    response = Response.objects.get()
    assert (response.subscriber, response.stage_bucket, response.relationship) == (
        mother,
        "pregnancy-mid",
        "self",
    )
    s, f, u, c = questions_of(survey)
    assert sorted(Answer.objects.values_list("question_id", "choice", "text")) == sorted(
        [(s.pk, 4, ""), (f.pk, 2, ""), (u.pk, 1, ""), (u.pk, 3, ""), (c.pk, None, "毎日楽しみです")]
    )
    thanks = client.get(answered["Location"])
    assert "ご回答ありがとうございました" in thanks.content.decode()
    assert "回答を見直す・変更する" in thanks.content.decode()


def test_answering_again_changes_the_one_response(mother, survey):
    client = Client()
    link = url(mother, survey)
    post(client, link, survey, satisfaction="2", useful=["1", "2"], comment="長すぎます")
    first = Response.objects.get()

    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        page = client.get(link)
        assert "にいただいた回答が入っています" in page.content.decode()
        assert (
            'value="2" id' in page.content.decode() or 'value="2" checked' in page.content.decode()
        )
        post(client, link, survey, satisfaction="5", useful=["3"])

    assert Response.objects.count() == 1
    again = Response.objects.get()
    assert again.pk == first.pk and again.answered_at == first.answered_at
    assert again.updated_at > first.updated_at
    s, _f, u, c = questions_of(survey)
    assert sorted(Answer.objects.values_list("question_id", "choice")) == [
        (s.pk, 5),
        (_f.pk, 1),
        (u.pk, 3),
    ]
    assert not Answer.objects.filter(question=c).exists()


def test_the_database_refuses_a_second_response(mother, survey):
    Response.objects.create(
        survey=survey,
        subscriber=mother,
        stage_bucket="none",
        relationship="self",
        answered_at=clock.now(),
        updated_at=clock.now(),
    )
    with pytest.raises(IntegrityError):
        Response.objects.create(
            survey=survey,
            subscriber=mother,
            stage_bucket="none",
            relationship="self",
            answered_at=clock.now(),
            updated_at=clock.now(),
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"satisfaction": ""}, "この質問にはお答えください。"),
        ({"satisfaction": "9"}, "選択肢の中から選んでください。"),
        ({"frequency": "x"}, "選択肢の中から選んでください。"),
        ({"useful": ["1", "7"]}, "選択肢の中から選んでください。"),
        ({"comment": "あ" * 2001}, "2000文字以内でお書きください"),
    ],
)
def test_a_wrong_answer_is_explained_and_nothing_is_saved(mother, survey, changes, message):
    page = post(Client(), url(mother, survey), survey, **changes)

    assert page.status_code == 200
    assert message in page.content.decode()
    assert "直していただきたい箇所が1件あります" in page.content.decode()
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_a_closed_survey_says_so_and_takes_no_answers(mother, town):
    survey = make_survey(
        town,
        opens_on=TODAY - datetime.timedelta(days=30),
        closes_on=TODAY - datetime.timedelta(days=1),
    )
    link = url(mother, survey)

    shown = Client().get(link)
    posted = post(Client(), link, survey)

    assert shown.status_code == posted.status_code == 410
    assert "このアンケートは締め切りました" in shown.content.decode()
    assert not Response.objects.exists()


def test_the_link_works_until_the_end_of_the_close_date_in_tokyo(mother, survey):
    link = url(mother, survey)
    last_minute = datetime.datetime.combine(
        survey.closes_on, datetime.time(23, 59), tzinfo=clock.TOKYO
    )
    with time_machine.travel(last_minute, tick=False):
        assert Client().get(link).status_code == 200
    with time_machine.travel(last_minute + datetime.timedelta(minutes=2), tick=False):
        assert Client().get(link).status_code == 410


def test_before_opening_the_page_says_when_it_opens(mother, town):
    survey = make_survey(town, opens_on=TODAY + datetime.timedelta(days=2))
    page = Client().get(url(mother, survey))
    assert page.status_code == 200
    assert "まだ回答の受付前です" in page.content.decode()
    main = page.content.decode().split("<main", 1)[1]  # the header's language switch is a form
    assert "<form" not in main


def test_tampered_and_foreign_links_get_a_clear_page(mother, survey, town):
    token = survey_token(mother, survey)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_town_survey = make_survey(MunicipalityFactory())
    cases = [
        tampered,
        make_token(Purpose.SURVEY, s=mother.pk, v=survey.pk + 999),  # no such survey
        make_token(Purpose.SURVEY, s=mother.pk, v=other_town_survey.pk),  # another municipality's
        manage_token(mother),  # signed, but for another purpose
    ]
    for bad in cases:
        page = Client().get(reverse("surveys:answer", args=[bad]))
        assert page.status_code == 400, bad
        assert "このリンクは正しくないか" in page.content.decode()
    assert not Response.objects.exists()


def test_an_expired_link_says_it_expired(mother, survey):
    link = url(mother, survey)
    with time_machine.travel(NOW + datetime.timedelta(days=368)):
        page = Client().get(link)
    assert page.status_code == 410
    assert "有効期限が切れています" in page.content.decode()


def test_an_erased_reader_s_link_opens_nothing(mother, survey):
    Subscriber.objects.filter(pk=mother.pk).update(erased_at=clock.now())
    assert Client().get(url(mother, survey)).status_code == 400


def test_csrf_is_checked(mother, survey):
    s, f, _u, _c = questions_of(survey)
    page = Client(enforce_csrf_checks=True).post(
        url(mother, survey), {f"q{s.pk}": "5", f"q{f.pk}": "1"}
    )
    assert page.status_code == 403
    assert not Response.objects.exists()
