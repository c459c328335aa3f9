"""Rendering a text to HTML mail, plain text and LINE: safe, complete and in the right order."""

import re
from datetime import date

import pytest

from content.models import LocalNotice, SpecialMessage, StageMessage
from content.rendering import (
    ALLOWED_TAGS,
    html_to_text,
    line_length,
    placeholder_values,
    render_markdown,
    render_message,
    sanitise_markdown,
)
from municipalities.models import ConsultationContact, Municipality

MANAGE = "https://kizuna.example.jp/m/koto/manage/abc"
UNSUBSCRIBE = "https://kizuna.example.jp/m/koto/unsubscribe/abc"

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1) )",
    '<a href="javascript:alert(1)">click</a>',
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)",
    '<p onmouseover="alert(1)">hover</p>',
    "<svg/onload=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    "<a href='vbscript:msgbox(1)'>vb</a>",
    '<div style="background:url(javascript:alert(1))">css</div>',
    "<!-- <script>alert(1)</script> -->",
    '"><script>alert(1)</script>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[x](/relative/path) [y](//evil.example/z)",
]


TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')


def assert_harmless(html: str) -> None:
    """Only allowed tags, only href/rel attributes, only safe link targets; all else is text."""
    for closing, tag, attributes in TAG.findall(html):
        assert tag.lower() in ALLOWED_TAGS, html
        found = dict(ATTRIBUTE.findall(attributes))
        assert ATTRIBUTE.sub("", attributes).strip() == "", html  # nothing unquoted or stray
        assert set(found) <= ({"href", "rel"} if tag == "a" else set()), html
        if tag == "a" and not closing:
            assert found.get("rel") == "noopener noreferrer", html
            assert re.match(r"^(https?://|mailto:|tel:)", found.get("href", "https://")), html
    # Whatever is left outside tags cannot open one.
    assert "<" not in TAG.sub("", html), html


def test_the_harmlessness_check_itself_catches_unsanitised_html():
    for unsafe in ('<img src=x onerror="a">', '<a href="javascript:x">x</a>', "<p onclick=x>"):
        with pytest.raises(AssertionError):
            assert_harmless(unsafe)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_come_out_harmless(payload):
    for html in (
        render_markdown(f"## 見出し\n{payload}\n\n本文", {}).html,
        sanitise_markdown(payload),
    ):
        assert_harmless(html)
        assert "<script" not in html.lower() and "<img" not in html.lower()
        assert "evil.example" not in "".join(value for _name, value in ATTRIBUTE.findall(html))


def test_links_keep_only_web_mail_and_phone_targets_and_always_get_rel():
    html = render_markdown(
        "[市のページ](https://www.city.koto.lg.jp/) [メール](mailto:hoken@city.example.jp) "
        "[電話](tel:0312345678) [古い](http://example.jp/)",
        {},
    ).html
    assert html.count('rel="noopener noreferrer"') == 4
    assert 'href="https://www.city.koto.lg.jp/"' in html
    assert 'href="mailto:hoken@city.example.jp"' in html
    assert 'href="tel:0312345678"' in html
    assert 'href="http://example.jp/"' in html


def test_the_markdown_subset_staff_write_renders():
    html = render_markdown(
        "## 今週やること\n**両親学級**を予約しましょう。\n- 母子手帳\n- *保険証*\n\n1. 予約\n2. 参加\n### 補足\n本文",
        {},
    ).html
    assert "<h2>今週やること</h2>" in html
    assert "<strong>両親学級</strong>" in html
    assert "<ul>\n<li>母子手帳</li>\n<li><em>保険証</em></li>\n</ul>" in html
    assert "<ol>" in html and "<h3>補足</h3>" in html


def test_placeholders_are_filled_after_sanitising_and_escaped_in_html():
    values = {"nickname": '<img src=x onerror=alert(1)>"&', "days_until_due": "120"}
    fragment = render_markdown("{{ nickname }}さん、予定日まで{{ days_until_due }}日です。", values)
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&amp;さん" in fragment.html
    assert "<img" not in fragment.html
    assert "予定日まで120日" in fragment.html  # underscores survive Markdown
    assert fragment.text == '<img src=x onerror=alert(1)>"&さん、予定日まで120日です。'


def test_a_placeholder_in_a_link_target_drops_the_link_not_the_words():
    fragment = render_markdown(
        "[申し込み](https://example.jp/?n={{ nickname }})", {"nickname": "javascript:x"}
    )
    assert "href" not in fragment.html
    assert "申し込み" in fragment.html


def test_plain_text_keeps_structure_readable():
    text = html_to_text(
        render_markdown(
            "## 持ち物\n- 母子健康手帳\n- バスタオル\n\n日時: 5月10日\n場所: 保健センター\n\n"
            "[詳しくはこちら](https://city.example.jp/kenshin) [03-1234-5678](tel:0312345678)",
            {},
        ).html
    )
    assert text == (
        "■ 持ち物\n\n・母子健康手帳\n・バスタオル\n\n日時: 5月10日\n場所: 保健センター\n\n"
        "詳しくはこちら\nhttps://city.example.jp/kenshin 03-1234-5678"
    )


def test_line_length_counts_as_line_does():
    assert line_length("あいう") == 3
    assert line_length("👶") == 2


@pytest.fixture
def koto(db):
    municipality = Municipality.objects.create(
        name="江東区",
        prefecture="東京都",
        code="131083",
        slug="koto",
        service_name="こんにちは赤ちゃんメール",
        sender_name="江東区 保健所",
        sender_email="kizuna@city.koto.example.jp",
    )
    ConsultationContact.objects.create(
        municipality=municipality,
        name="城東保健相談所",
        phone="03-3647-5879",
        hours="平日 8:30〜17:15",
        note="助産師・保健師が相談に応じます",
    )
    return municipality


def _message(**fields):
    defaults = {
        "track": "child",
        "unit": "month",
        "number": 4,
        "subject": "生後4か月：{{ nickname }}さん、首がすわるころ",
        "body": "## 赤ちゃんのようす\n生後{{ age_months }}か月、{{ municipality }}の健診があります。",
        "published": True,
    }
    return StageMessage.objects.create(**{**defaults, **fields})


def _notice(municipality, **fields):
    defaults = {
        "title": "3〜4か月児健診",
        "body": "日時: 毎月第2火曜日\n[予約](https://city.example.jp/yoyaku)",
        "track": "child",
        "unit": "month",
        "number_from": 3,
        "number_to": 4,
        "published": True,
    }
    return LocalNotice.objects.create(municipality=municipality, **{**defaults, **fields})


def _render(text, municipality, notices=(), contacts=None):
    return render_message(
        text,
        municipality=municipality,
        placeholders=placeholder_values(
            municipality=municipality,
            nickname="はな",
            track="child",
            anchor=date(2026, 6, 10),
            on=date(2026, 10, 10),
        ),
        notices=list(notices),
        contacts=list(municipality.contacts.all()) if contacts is None else contacts,
        manage_url=MANAGE,
        unsubscribe_url=UNSUBSCRIBE,
    )


def test_a_stage_message_renders_to_all_three_formats_with_notices_under_the_heading(koto):
    email_only = _notice(koto, title="離乳食教室（メールのみ）", channels="email", order=2)
    rendered = _render(_message(), koto, [_notice(koto, order=1), email_only])

    assert rendered.subject == "生後4か月：はなさん、首がすわるころ"
    for body in (rendered.html, rendered.text, rendered.line_text):
        assert "はなさん" in body
        assert "生後4か月、江東区の健診があります。" in body
        assert body.index("江東区からのお知らせ") < body.index("3〜4か月児健診")
        assert body.index("生後4か月、江東区") < body.index("江東区からのお知らせ")
        assert "こんにちは赤ちゃんメール" in body and "江東区 保健所" in body
        assert "03-3647-5879" in body  # the short contacts footer
    assert rendered.html.startswith("<!doctype html>")
    assert '<html lang="ja">' in rendered.html
    assert "<h1" in rendered.html and "<h2" in rendered.html
    assert rendered.line_text.startswith("【生後4か月：はなさん、首がすわるころ】\n")
    for mail in (rendered.html, rendered.text):
        assert MANAGE in mail and UNSUBSCRIBE in mail
    # LINE carries no personal link (readers manage by chat), so it can be multicast.
    assert MANAGE not in rendered.line_text and "「配信停止」" in rendered.line_text
    assert "予約\nhttps://city.example.jp/yoyaku\n" in rendered.text
    # Channels: the email-only notice is in the mail, not in LINE.
    assert "離乳食教室" in rendered.html and "離乳食教室" in rendered.text
    assert "離乳食教室" not in rendered.line_text
    assert rendered.line_length == len(rendered.line_text)


def test_notices_follow_their_order_and_line_only_notices_stay_out_of_mail(koto):
    first = _notice(koto, title="一番目", order=1)
    line_only = _notice(koto, title="LINE限定のお知らせ", order=0, channels="line")
    rendered = _render(_message(), koto, [first, line_only])
    assert "LINE限定のお知らせ" not in rendered.html + rendered.text
    assert rendered.line_text.index("LINE限定のお知らせ") < rendered.line_text.index("一番目")


def test_staff_text_is_escaped_everywhere_in_html(koto):
    koto.name = "<b>江東区</b>"
    koto.service_name = '<script>alert("s")</script>メール'
    koto.sender_name = "<i>保健所</i>"
    koto.save()
    koto.contacts.update(name="<u>窓口</u>", note="<img src=x onerror=alert(1)>")
    notice = _notice(koto, title='<img src=x onerror="alert(1)">健診')
    rendered = _render(_message(), koto, [notice])
    html = rendered.html
    assert "<script>alert" not in html
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;健診" in html
    assert "&lt;b&gt;江東区&lt;/b&gt;からのお知らせ" in html
    assert "&lt;script&gt;alert(&quot;s&quot;)&lt;/script&gt;メール" in html
    assert "<u>" not in html and "<i>" not in html
    # Plain text and LINE are not HTML: the same words appear as typed.
    assert '<img src=x onerror="alert(1)">健診' in rendered.line_text


@pytest.mark.parametrize("kind", ["loss", "loss-pregnancy", "loss-stillbirth", "loss-child"])
def test_a_loss_message_lists_every_contact_and_never_carries_notices(koto, kind):
    ConsultationContact.objects.create(
        municipality=koto, name="こども家庭センター", phone="03-0000-0001"
    )
    loss = SpecialMessage.objects.create(
        kind=kind,
        subject="あなたとご家族へ",
        body="## お知らせを受け取りました\n相談先をこの下に載せています。",
        published=True,
    )
    rendered = _render(loss, koto, [_notice(koto)])
    for body in (rendered.html, rendered.text, rendered.line_text):
        assert "3〜4か月児健診" not in body
        assert "からのお知らせ" not in body
        assert "ご相談窓口" in body
        assert "城東保健相談所" in body and "03-3647-5879" in body
        assert "こども家庭センター" in body and "03-0000-0001" in body
        assert "助産師・保健師が相談に応じます" in body
        assert "こんにちは。" not in body  # no cheerful greeting
    assert UNSUBSCRIBE in rendered.html and UNSUBSCRIBE in rendered.text
    assert "「配信停止」" in rendered.line_text
    assert rendered.html.index("ご相談窓口") > rendered.html.index("相談先をこの下に")


def test_english_texts_get_english_framing(koto):
    message = _message(language="en", subject="4 months: Holding up the head", body="## Baby\nHi.")
    rendered = _render(message, koto, [_notice(koto)])
    assert "Hello はな," in rendered.text
    assert "News from 江東区" in rendered.text
    assert "Unsubscribe\n" + UNSUBSCRIBE in rendered.text
    assert '<html lang="en">' in rendered.html


def test_an_unknown_placeholder_that_slipped_in_shows_as_written_not_blank(koto):
    message = StageMessage(
        track="child", unit="month", number=4, subject="件名", body="## A\n{{ nick }}さんへ"
    )
    rendered = _render(message, koto)
    assert "{{ nick }}さんへ" in rendered.text
    assert "{{ nick }}さんへ" in rendered.html


def test_placeholder_values_follow_the_stage_calendar(koto):
    pregnancy = placeholder_values(
        municipality=koto, track="pregnancy", anchor=date(2027, 5, 1), on=date(2026, 12, 12)
    )
    assert pregnancy["week"] == "20" and pregnancy["days_until_due"] == "140"
    child = placeholder_values(
        municipality=koto, track="child", anchor=date(2026, 1, 31), on=date(2026, 2, 28)
    )
    assert child["age_months"] == "1" and child["age_days"] == "28"
    assert child["municipality"] == "江東区"
    assert child["service_name"] == "こんにちは赤ちゃんメール"
