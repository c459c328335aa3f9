"""Checks on save: placeholders, safe Markdown and LINE's 5,000-character limit."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from content.models import BirthdayMessage, LocalNotice, SpecialMessage, StageMessage
from content.validators import markdown_safety_problems, placeholder_problems
from kizuna.clock import TOKYO
from tests.content.factories import LocalNoticeFactory, StageMessageFactory
from tests.factories import MunicipalityFactory

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _errors(obj) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    return error.value.message_dict


def test_unknown_placeholder_is_a_japanese_error_naming_it():
    problems = placeholder_problems("{{ nick_name }}さん、{{ 週数 }}週です", track="pregnancy")
    assert problems[0].startswith("差し込み項目「{{ nick_name }}」はありません。")
    assert "「{{ nickname }}」の書き間違いではありませんか" in problems[0]
    assert "{{ week }}" in problems[0]  # lists what can be used instead
    assert problems[1].startswith("差し込み項目「{{ 週数 }}」はありません。")


def test_placeholders_of_the_other_track_are_refused():
    assert placeholder_problems("生後{{ age_months }}か月", track="child") == []
    [problem] = placeholder_problems("妊娠{{ week }}週", track="child")
    assert "「{{ week }}」は妊娠中のメッセージでしか使えません" in problem
    [problem] = placeholder_problems("{{ age_days }}日", track=None)
    assert "出生後のメッセージでしか使えません" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ nickname }さん", "対応がとれていない"),
        ("{{ nickname }} }}", "対応がとれていない"),
        ("{nickname}さん", "{{ nickname }} のように波かっこを2つずつ"),
    ],
)
def test_malformed_braces_are_reported(text, expected):
    assert any(expected in problem for problem in placeholder_problems(text))


def test_known_placeholders_written_loosely_are_accepted():
    assert placeholder_problems("{{nickname}}さん {{  municipality  }}", track=None) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<script>alert(1)</script>", "HTMLタグ「<script>」は使えません"),
        ('<img src=x onerror="alert(1)">', "HTMLタグ"),
        ("[押して](javascript:alert(1))", "リンク先「javascript:alert(1)」は使えません"),
        ("[相対](/kenshin)", "リンク先「/kenshin」は使えません"),
        ("[申込](https://x.jp/?n={{ nickname }})", "差し込み項目は使えません"),
        ("![写真](https://x.jp/a.png)", "画像は使えません"),
    ],
)
def test_unsafe_markdown_is_reported(body, expected):
    assert any(expected in problem for problem in markdown_safety_problems(body))


def test_safe_markdown_passes():
    body = (
        "## 見出し\n- [市のページ](https://www.city.example.jp/)\n"
        "- [メール](mailto:a@city.example.jp)\n- [電話](tel:0312345678)\n"
        "- 自動リンク <https://www.city.example.jp/>\n**強調** 3 < 5"
    )
    assert markdown_safety_problems(body) == []


@pytest.mark.django_db
def test_a_notice_with_a_misspelt_placeholder_cannot_be_saved():
    notice = LocalNoticeFactory.build(
        municipality=MunicipalityFactory(),
        title="{{ municipalty }}の健診",
        body="{{ nicknme }}さんへ。<b>持ち物</b>",
    )
    errors = _errors(notice)
    assert "差し込み項目「{{ municipalty }}」はありません。" in errors["title"][0]
    assert "「{{ municipality }}」の書き間違い" in errors["title"][0]
    assert any("「{{ nicknme }}」" in problem for problem in errors["body"])
    assert any("HTMLタグ「<b>」" in problem for problem in errors["body"])


@pytest.mark.django_db
def test_texts_check_their_track_and_kind():
    stage = StageMessageFactory.build(
        track="child", unit="month", number=4, body="妊娠{{ week }}週"
    )
    assert "妊娠中のメッセージでしか使えません" in _errors(stage)["body"][0]
    birthday = BirthdayMessage(
        age_years=1, subject="おめでとう", body="あと{{ days_until_due }}日", language="ja"
    )
    assert "妊娠中のメッセージでしか使えません" in _errors(birthday)["body"][0]
    loss = SpecialMessage(kind="loss", subject="件名", body="生後{{ age_days }}日", language="ja")
    assert "出生後のメッセージでしか使えません" in _errors(loss)["body"][0]


@pytest.mark.django_db
def test_notice_stage_units_are_checked():
    notice = LocalNoticeFactory.build(
        municipality=MunicipalityFactory(), track="pregnancy", unit="year"
    )
    assert "妊娠トラックに「歳」の単位はありません。" in _errors(notice)["unit"]


# LINE length --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_notice_too_long_for_line_with_the_stage_message_is_refused_with_the_count():
    municipality = MunicipalityFactory()
    StageMessageFactory(track="child", unit="month", number=3, body="## A\n" + "あ" * 900)
    notice = LocalNoticeFactory.build(municipality=municipality, body="い" * 4200)
    [problem] = _errors(notice)["body"]
    assert problem.startswith("LINEで送る文章が")
    assert "LINEの上限5,000文字を" in problem
    assert "生後3か月のメッセージと合わせた長さ" in problem
    count = int(problem.removeprefix("LINEで送る文章が").split("文字")[0].replace(",", ""))
    assert 5100 < count < 5800  # the two texts plus greeting, sample nickname and footer

    notice.channels = LocalNotice.Channels.EMAIL  # mail has no such limit
    notice.full_clean()
    notice.channels = LocalNotice.Channels.BOTH
    notice.body = "い" * 3000
    notice.full_clean()


@pytest.mark.django_db
def test_notices_shown_together_add_up_but_not_if_their_windows_never_meet():
    municipality = MunicipalityFactory()
    StageMessageFactory(track="child", unit="month", number=4, body="## A\n" + "あ" * 900)
    LocalNoticeFactory(
        municipality=municipality,
        body="う" * 2200,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
    )
    later = LocalNoticeFactory.build(
        municipality=municipality,
        body="え" * 2200,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31),
    )
    later.full_clean()  # never shown on the same day as the first

    overlapping = LocalNoticeFactory.build(
        municipality=municipality, body="え" * 2200, starts_on=date(2026, 11, 20)
    )
    [problem] = _errors(overlapping)["body"]
    assert "ほかのお知らせ1件" in problem

    # Another municipality's notices never count.
    LocalNoticeFactory.build(municipality=MunicipalityFactory(), body="え" * 2200).full_clean()


@pytest.mark.django_db
def test_a_stage_message_is_checked_against_each_municipalitys_notices():
    municipality = MunicipalityFactory(name="長文市")
    LocalNoticeFactory(municipality=municipality, number_from=4, number_to=4, body="う" * 3800)
    message = StageMessageFactory.build(
        track="child", unit="month", number=4, body="## A\n" + "あ" * 1000
    )
    [problem] = _errors(message)["body"]
    assert "長文市のお知らせ1件と合わせた長さ" in problem

    other_stage = StageMessageFactory.build(
        track="child", unit="month", number=6, body="## A\n" + "あ" * 1000
    )
    other_stage.full_clean()


@pytest.mark.django_db
def test_a_text_too_long_on_its_own_is_refused():
    message = StageMessageFactory.build(body="## A\n" + "あ" * 5000)
    [problem] = _errors(message)["body"]
    assert "LINEの上限5,000文字を" in problem


@pytest.mark.django_db
def test_every_text_in_the_content_pack_passes_the_admins_checks():
    from content.services import load_pack

    load_pack()
    problems = {}
    for model in (StageMessage, SpecialMessage, BirthdayMessage):
        for text in model.objects.all():
            try:
                text.full_clean()
            except ValidationError as error:
                problems[text.source_path] = error.message_dict
    assert problems == {}
