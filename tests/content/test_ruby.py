"""Ruby for やさしい日本語: kanji beyond grade 2 read aloud, the rest of the text untouched."""

from types import SimpleNamespace

import pytest

from content.rendering import render_markdown, render_message
from content.ruby import easy_kanji, needs_ruby, ruby_html, ruby_text


def test_the_list_is_the_240_kanji_of_grades_one_and_two():
    kanji = easy_kanji()
    assert len(kanji) == 240
    assert {"日", "本", "今", "子", "母", "手", "話"} <= kanji
    assert not {"予", "健", "帳", "接", "種", "腹"} & kanji


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("日本", "日本"),  # grade 1: no ruby (and never ニッポン)
        ("今日", "今日"),
        ("一日", "一日"),
        ("子ども", "子ども"),
        ("母子健康手帳", "母子健康（けんこう）手帳（てちょう）"),
        ("予防接種", "予防（よぼう）接種（せっしゅ）"),
        ("お腹が痛い", "お腹（なか）が痛（いた）い"),
        ("受けます", "受（う）けます"),
    ],
)
def test_tricky_words_in_plain_text(text, expected):
    assert ruby_text(text) == expected


def test_html_ruby_and_nothing_inside_links_tags_or_numbers():
    fragment = (
        '<p>予防接種は119番ではなく<a href="https://example.jp/予防">予防接種の案内</a>'
        "を見てください。#8000、0120-279-338。</p>"
    )
    assert ruby_html(fragment) == (
        "<p><ruby>予防<rt>よぼう</rt></ruby><ruby>接種<rt>せっしゅ</rt></ruby>は119番ではなく"
        '<a href="https://example.jp/予防">予防接種の案内</a>'
        "を見てください。#8000、0120-279-338。</p>"
    )
    assert not needs_ruby("見てください")


def test_urls_in_plain_text_are_left_alone():
    assert ruby_text("予防接種 https://example.jp/予防接種") == (
        "予防（よぼう）接種（せっしゅ） https://example.jp/予防接種"
    )


def test_only_easy_japanese_gets_ruby_and_placeholders_never_do():
    source = "## 予防接種\n{{ municipality }}の保健センターで受けられます。"
    values = {"municipality": "江東区"}
    easy = render_markdown(source, values, language="ja-easy")
    assert "<ruby>予防<rt>よぼう</rt></ruby>" in easy.html
    assert "江東区" in easy.html and "江東区（" not in easy.text and "<ruby>江" not in easy.html
    assert "保健（ほけん）センター" in easy.text
    plain = render_markdown(source, values, language="ja")
    assert "<ruby>" not in plain.html and "（よぼう）" not in plain.text


def test_a_whole_easy_japanese_message_has_ruby_in_mail_and_brackets_on_line():
    town = SimpleNamespace(
        name="江東区", service_name="こんにちは赤ちゃんメール", sender_name="江東区"
    )
    text = SimpleNamespace(
        subject="妊娠20週：予防接種",
        body="予防接種のはなしです。",
        language="ja-easy",
        kind="stage",
    )
    message = render_message(
        text,
        municipality=town,
        placeholders={"nickname": "", "municipality": "江東区", "service_name": "x"},
        manage_url="https://example.jp/m",
        unsubscribe_url="https://example.jp/u",
    )
    assert "<ruby>予防<rt>よぼう</rt></ruby>" in message.html
    assert "予防（よぼう）接種（せっしゅ）のはなしです。" in message.text
    assert "予防（よぼう）接種（せっしゅ）のはなしです。" in message.line_text
    assert '<html lang="ja-easy">' in message.html
