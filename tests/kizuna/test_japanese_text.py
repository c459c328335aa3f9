"""Parents' pages, mails and LINE texts write Japanese as Japanese: no half-width space between
Japanese sentences or words, and a colon after Japanese is the full-width 「：」, so that
「出産予定日：」 and 「版: 」 are never mixed on one screen."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JAPANESE = r"[\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]"
HALF_WIDTH_SPACE = re.compile(f"{JAPANESE} +{JAPANESE}")
HALF_WIDTH_COLON = re.compile(f"{JAPANESE}:")

# What parents, partners and grandparents read: their pages, the mails and the LINE texts.
PARENT_TEMPLATES = [
    "templates/base.html",
    "templates/_error.html",
    "templates/400.html",
    "templates/403.html",
    "templates/404.html",
    "templates/500.html",
    "templates/kizuna/home.html",
    "templates/content/email/message.html",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates/subscribers").rglob("*.*")),
    *sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "templates/surveys").glob("*.html")  # not staff/
    ),
    "templates/adoption/move_to_email.html",
    "templates/adoption/move_to_line.html",
    "templates/adoption/confirm_email_move.html",
]
PARENT_PYTHON = [
    "subscribers/forms.py",
    "subscribers/views.py",
    "subscribers/services.py",
    "subscribers/selectors.py",
    "content/rendering.py",
    "surveys/messages.py",
    "surveys/forms.py",
    "adoption/moves.py",
    "adoption/parent_views.py",
    "kizuna/japanese_dates.py",
    "kizuna/email_addresses.py",
]


def shown_text(template: str) -> str:
    """The template's words as they reach the screen: translated strings in place, variables as a
    Latin stand-in, template tags and HTML tags gone."""
    # blocktranslate trimmed joins its lines with a space, as Django does.
    text = re.sub(
        r"\{%\s*blocktranslate\b[^%]*\btrimmed\b[^%]*%\}(.*?)\{%\s*endblocktranslate\s*%\}",
        lambda m: " ".join(line.strip() for line in m.group(1).strip().splitlines()),
        template,
        flags=re.S,
    )
    text = re.sub(r'\{%\s*translate\s+"([^"]*)"[^%]*%\}', r"\1", text)
    text = re.sub(r"\{%\s*blocktranslate[^%]*%\}|\{%\s*endblocktranslate\s*%\}", "", text)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "X", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", "", text, flags=re.S)
    return re.sub(r"<[^>]*>", "", text)


def python_strings(source: str) -> list[str]:
    """String literals in the module (messages, phrases, labels), each as written."""
    return [m.group(2) for m in re.finditer(r'(["\'])((?:(?!\1)[^\\\n]|\\.)*)\1', source)]


def problems_in(text: str) -> list[str]:
    return [
        m.group(0) for m in (*HALF_WIDTH_SPACE.finditer(text), *HALF_WIDTH_COLON.finditer(text))
    ]


@pytest.mark.parametrize("path", PARENT_TEMPLATES)
def test_parent_templates_write_japanese_spacing_and_colons(path):
    assert problems_in(shown_text((ROOT / path).read_text())) == []


@pytest.mark.parametrize("path", PARENT_PYTHON)
def test_parent_messages_in_code_write_japanese_spacing_and_colons(path):
    found = [p for s in python_strings((ROOT / path).read_text()) for p in problems_in(s)]
    assert found == []


def test_the_scan_finds_what_it_is_for():
    assert problems_in(shown_text('{% translate "版" %}: {{ v }}')) == ["版:"]
    assert problems_in(shown_text("<p>届きます。 よろしく</p>")) == ["。 よ"]
    trimmed = "{% blocktranslate trimmed %}\n届きます。\n登録は無料です。\n{% endblocktranslate %}"
    assert problems_in(shown_text(trimmed)) == ["。 登"]
    assert problems_in(shown_text('{% translate "出産予定日" %}：{{ d }}')) == []
    assert problems_in("Kizuna — 妊娠・子育て 2027-04-01 のように") == []
