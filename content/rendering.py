"""Turning a text and its municipality's notices into what a parent receives: HTML mail, plain
text mail and LINE text.

Staff write Markdown. It is rendered, then sanitised with nh3 to a small allow-list, and only
then are placeholders filled in, HTML-escaped in the HTML version: neither a text nor a value
(a nickname, a municipality name) can inject markup. The delivery engine calls
:func:`render_message`; previews and the LINE length check call the same function, so what
staff see is what parents get.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import markdown
import nh3
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, gettext_noop

from . import honorifics
from .pack import is_loss_kind
from .placeholders import PLACEHOLDER_PATTERN
from .stages import Track, child_age, gestational_age

if TYPE_CHECKING:
    from municipalities.models import ConsultationContact, Municipality

    from .models import LocalNotice

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3"}
ALLOWED_URL_SCHEMES = {"https", "http", "mailto", "tel"}
LINK_REL = "noopener noreferrer"

# Placeholders are swapped for inert tokens before Markdown sees the text and swapped back after
# sanitising, so that neither Markdown (underscores in {{ days_until_due }}) nor nh3 can alter
# them and the values never pass through either.
_TOKEN = "KZNPH{}HPNZK"  # noqa: S105 (a marker, not a secret)
_TOKEN_PATTERN = re.compile(r"KZNPH(\d+)HPNZK")
# A token with the honorific staff typed after it (「{{ nickname }}さん」), so はなちゃん is not
# called はなちゃんさん.
_TOKEN_WITH_HONORIFIC = re.compile(rf"KZNPH(\d+)HPNZK({honorifics.AFTER_PLACEHOLDER})?")
_PLACEHOLDER_WITH_HONORIFIC = re.compile(
    rf"{PLACEHOLDER_PATTERN.pattern}({honorifics.AFTER_PLACEHOLDER})?"
)

# The message's fixed words, in the language the message is written in (gettext, msgids in
# Japanese). English keeps its words here until locale/en carries them.
_PHRASE_MSGIDS = {
    "greeting": gettext_noop("%(name)s、こんにちは。"),
    "greeting_anonymous": gettext_noop("こんにちは。"),
    "greeting_loss": gettext_noop("%(name)sへ"),
    "notices_heading": gettext_noop("%(municipality)sからのお知らせ"),
    "contacts_heading": gettext_noop("ご相談窓口"),
    "contacts_short": gettext_noop("困ったときの相談先："),
    "manage": gettext_noop("配信の設定・変更"),
    "unsubscribe": gettext_noop("配信停止"),
    "sender": gettext_noop(
        "このメッセージは、%(municipality)sの「%(service_name)s」からお送りしています。"
    ),
    "line_commands": gettext_noop(
        "登録内容の変更は「設定」、配信の停止は「配信停止」と、このトークに送ってください。"
    ),
    "japanese_notice": gettext_noop(
        "（%(municipality)sからのお知らせを、日本語のまま載せています）"
    ),
}
_BUILTIN_PHRASES = {
    "en": {
        "greeting": "Hello %(name)s,",
        "greeting_anonymous": "Hello,",
        "greeting_loss": "Dear %(name)s,",
        "notices_heading": "News from %(municipality)s",
        "contacts_heading": "Where to ask for help",
        "contacts_short": "If you need someone to talk to:",
        "manage": "Change your settings",
        "unsubscribe": "Unsubscribe",
        "sender": "This message comes from %(service_name)s, run by %(municipality)s.",
        "line_commands": 'Send "settings" here to change your registration, or "stop" to unsubscribe.',
        "japanese_notice": "(This notice from %(municipality)s is in Japanese.)",
    },
}
JAPANESE_LANGUAGES = ("ja", "ja-easy")


def phrases(language: str) -> dict[str, str]:
    """The fixed words of a message in ``language`` (greeting, headings, footer links), plus
    the plain text's list and section markers."""
    with translation.override(language):
        found = {key: gettext(msgid) for key, msgid in _PHRASE_MSGIDS.items()}
    builtin = _BUILTIN_PHRASES.get(language, {})
    for key, msgid in _PHRASE_MSGIDS.items():
        if found[key] == msgid and key in builtin:
            found[key] = builtin[key]
    found.update(_markers(language))
    return found


def _markers(language: str) -> dict[str, str]:
    bullet = "・" if language in JAPANESE_LANGUAGES else "- "
    return {"bullet": bullet, "link": "{text}\n{url}", "section": "■ "}


_RULE = "━━━━━━━━━━"


@dataclass(frozen=True)
class RenderedMessage:
    """One message in the three forms it is sent in."""

    subject: str
    html: str
    text: str
    line_text: str

    @property
    def line_length(self) -> int:
        return line_length(self.line_text)


@dataclass(frozen=True)
class RenderedFragment:
    """A piece of Markdown (a body, a notice) rendered, with placeholders filled in."""

    html: str
    text: str


@dataclass(frozen=True)
class _Protected:
    html: str  # sanitised HTML still holding tokens
    names: tuple[str, ...]  # the placeholder each token stands for, by index


def line_length(text: str) -> int:
    """Characters as LINE counts them against its 5,000 limit (UTF-16 code units: an emoji is 2)."""
    return len(text.encode("utf-16-le")) // 2


def _keep_safe_href(tag: str, attribute: str, value: str) -> str | None:
    # A placeholder inside a link target could turn into any URL once filled in: drop the link.
    if tag == "a" and attribute == "href" and _TOKEN_PATTERN.search(value):
        return None
    return value


def _sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href"}},
        attribute_filter=_keep_safe_href,
        url_schemes=ALLOWED_URL_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+\S")
_HEADING = re.compile(r"^#{1,6}\s")


def _separate_blocks(source: str) -> str:
    """Start lists and headings typed right under a line of text as blocks of their own.

    Markdown wants a blank line first; staff do not know that and would see their list run into
    the paragraph above it.
    """
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        starts_block = _HEADING.match(line) or (
            _LIST_ITEM.match(line) and not _LIST_ITEM.match(previous)
        )
        if starts_block and previous.strip() and not _HEADING.match(previous):
            out.append("")
        out.append(line)
    return "\n".join(out)


@functools.lru_cache(maxsize=4096)
def _protect(source: str) -> _Protected:
    # Cached: a day's deliveries share a few hundred texts, and this is the costly part
    # (Markdown, then nh3). The result is immutable and holds no reader's data.
    names: list[str] = []

    def token(match: re.Match) -> str:
        names.append(match.group(1))
        return _TOKEN.format(len(names) - 1)

    protected = PLACEHOLDER_PATTERN.sub(token, _separate_blocks(source))
    # nl2br: staff expect a line break where they typed one (日時、場所、持ち物 on their own lines).
    raw = markdown.markdown(protected, extensions=["sane_lists", "nl2br"], output_format="html")
    # Headings outside the allowed h2/h3 keep being headings rather than turning into plain text.
    raw = re.sub(r"<(/?)h1\b", r"<\1h2", raw)
    raw = re.sub(r"<(/?)h[4-6]\b", r"<\1h3", raw)
    return _Protected(_sanitise(raw), tuple(names))


def _fill(text: str, names: Sequence[str], values: dict[str, str], *, escape: bool) -> str:
    def value(match: re.Match) -> str:
        index = int(match.group(1))
        name = names[index] if index < len(names) else ""
        # Unknown names are refused when a text is saved; if one slips through (an import), it
        # shows as written rather than as a silent blank.
        filled = values[name] if name in values else "{{ " + name + " }}"
        filled = _with_honorific(name, filled, match.group(2))
        return html.escape(filled) if escape else filled

    return _TOKEN_WITH_HONORIFIC.sub(value, text)


def _with_honorific(name: str, filled: str, honorific: str | None) -> str:
    if not honorific:
        return filled
    if name == "nickname" and filled.strip():
        return honorifics.addressed(filled, honorific)
    return filled + honorific


def sanitise_markdown(source: str) -> str:
    """Markdown to the allowed HTML subset, placeholders left as written (``{{ name }}``)."""
    protected = _protect(source)
    return _fill(
        protected.html,
        protected.names,
        {name: "{{ " + name + " }}" for name in protected.names},
        escape=True,
    )


def render_markdown(
    source: str, placeholders: dict[str, str], *, language: str = "ja"
) -> RenderedFragment:
    """Sanitised HTML and plain text for ``source``, placeholders filled (escaped in the HTML)."""
    protected = _protect(source)
    return RenderedFragment(
        html=_fill(protected.html, protected.names, placeholders, escape=True),
        text=_fill(
            _protected_text(protected.html, language),
            protected.names,
            placeholders,
            escape=False,
        ),
    )


@functools.lru_cache(maxsize=4096)
def _protected_text(protected_html: str, language: str) -> str:
    return html_to_text(protected_html, language=language)


def plain_html(text: str) -> str:
    """A staff text that is not Markdown (a question's help text, a choice) for a web page.

    Escaped, never markup: Django prints a form field's ``help_text`` without escaping it, so
    a staff text given to it must arrive escaped.
    """
    return escape(text)


def fill_plain(text: str, placeholders: dict[str, str]) -> str:
    """Placeholders filled into a one-line plain text such as a subject or a notice title."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in placeholders:
            return match.group(0)
        return _with_honorific(name, placeholders[name], match.group(2))

    return " ".join(_PLACEHOLDER_WITH_HONORIFIC.sub(value, text).splitlines())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class _TextWriter(HTMLParser):
    """Plain text from the sanitised HTML subset: headings, paragraphs, lists and links."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.phrases = _markers(language)
        self.blocks: list[str] = []
        self.line = ""
        self.lists: list[list[Any]] = []  # [kind, next number]
        self.link: tuple[str, str] | None = None  # (href, text so far)
        self.url_ends_line = False  # text after a URL goes on the next line, not glued to it

    def _end_line(self) -> None:
        if self.line.strip():
            self.blocks.append(self.line.rstrip())
        self.line = ""

    def _end_block(self) -> None:
        self._end_line()
        if self.blocks and self.blocks[-1] != "":
            self.blocks.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "h2", "h3"):
            self._end_block()
            if tag != "p":
                self.line = self.phrases["section"]
        elif tag in ("ul", "ol"):
            self._end_line()
            if not self.lists:
                self._end_block()
            self.lists.append([tag, 1])
        elif tag == "li":
            self._end_line()
            indent = "  " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                self.line = f"{indent}{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            else:
                self.line = indent + self.phrases["bullet"]
        elif tag == "br":
            self._end_line()
        elif tag == "a":
            self.link = (dict(attrs).get("href") or "", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "h2", "h3"):
            self._end_block()
        elif tag == "li":
            self._end_line()
        elif tag in ("ul", "ol"):
            self._end_line()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self._end_block()
        elif tag == "a" and self.link is not None:
            href, text = self.link
            self.link = None
            shown = re.sub(r"^(mailto|tel):", "", href)
            if href.startswith("tel:") and _digits(shown) == _digits(text):
                shown = text.strip()  # 03-1234-5678 is the number the link dials
            if href and shown != text.strip():
                self.line += self.phrases["link"].format(text=text, url=shown)
                self.url_ends_line = True
            else:
                self.line += text

    def handle_data(self, data: str) -> None:
        # Markdown puts newlines between tags; real line breaks arrive as <br> (nl2br).
        data = data.replace("\n", "")
        if self.url_ends_line and data.strip():
            self._end_line()
        self.url_ends_line = False
        if self.link is not None:
            self.link = (self.link[0], self.link[1] + data)
        else:
            self.line += data

    def result(self) -> str:
        self._end_block()
        return "\n".join(self.blocks).strip()


def html_to_text(fragment: str, *, language: str = "ja") -> str:
    """Plain text (mail and LINE) from sanitised HTML: 「■ 見出し」, 「・項目」, a link's text with
    its URL on the next line (a bracket next to a URL ends up inside it in some mail apps)."""
    writer = _TextWriter(language)
    writer.feed(fragment)
    writer.close()
    return writer.result()


def placeholder_values(
    *,
    municipality: Municipality,
    nickname: str = "",
    track: str | None = None,
    anchor: date | None = None,
    on: date | None = None,
) -> dict[str, str]:
    """The values for one reader on one day; track-specific ones only when the track is known."""
    values = {
        "nickname": nickname,
        "municipality": municipality.name,
        "service_name": municipality.service_name,
    }
    if anchor is not None and on is not None:
        if track == Track.PREGNANCY:
            age = gestational_age(anchor, on)
            values["week"] = str(age.week)
            values["days_until_due"] = str(max(age.days_until_due, 0))
        elif track == Track.CHILD:
            child = child_age(anchor, on)
            values["age_months"] = str(max(child.months, 0))
            values["age_days"] = str(max(child.days, 0))
    return values


@dataclass(frozen=True)
class _NoticePart:
    title: str
    html: str
    text: str


def _notice_parts(
    notices: Iterable[LocalNotice],
    placeholders: dict[str, str],
    language: str,
    channel: str,
    japanese_note: str = "",
) -> list[_NoticePart]:
    """The notices in the message's language: a notice's translation where staff wrote one,
    else the Japanese notice after ``japanese_note`` (one line in the message's language)."""
    parts = []
    for notice in sorted(notices, key=lambda n: (n.order, n.pk or 0)):
        if notice.channels not in ("both", channel):
            continue
        in_language = getattr(notice, "in_language", None)
        translated = in_language(language) if in_language and language != "ja" else None
        title, body = translated or (notice.title, notice.body)
        fragment = render_markdown(body, placeholders, language=language)
        html_part, text_part = fragment.html, fragment.text
        if translated is None and japanese_note:
            html_part = f'<p class="notice-language">{escape(japanese_note)}</p>{html_part}'
            text_part = f"{japanese_note}\n{text_part}"
        parts.append(_NoticePart(fill_plain(title, placeholders), html_part, text_part))
    return parts


def _contact_line(contact: ConsultationContact) -> str:
    details = "　".join(part for part in (contact.phone, contact.hours) if part)
    return f"{contact.name}　{details}".strip()


def _is_loss(text: Any) -> bool:
    return is_loss_kind(getattr(text, "kind", None))


def render_message(
    text: Any,
    *,
    municipality: Municipality,
    placeholders: dict[str, str],
    notices: Sequence[LocalNotice] = (),
    contacts: Sequence[ConsultationContact] = (),
    manage_url: str,
    unsubscribe_url: str,
) -> RenderedMessage:
    """Render a stage, special or birthday message with the municipality's part and footer.

    Notices appear under 「{municipality}からのお知らせ」 in the formats their channel allows; a loss
    message never carries notices and lists every consultation contact in full.
    """
    language = getattr(text, "language", "ja") or "ja"
    with translation.override(language):
        return _render_message(
            text,
            language=language,
            municipality=municipality,
            placeholders=placeholders,
            notices=notices,
            contacts=contacts,
            manage_url=manage_url,
            unsubscribe_url=unsubscribe_url,
        )


def _render_message(
    text: Any,
    *,
    language: str,
    municipality: Municipality,
    placeholders: dict[str, str],
    notices: Sequence[LocalNotice],
    contacts: Sequence[ConsultationContact],
    manage_url: str,
    unsubscribe_url: str,
) -> RenderedMessage:
    words = phrases(language)
    loss = _is_loss(text)
    values = {name: " ".join(str(value).splitlines()) for name, value in placeholders.items()}
    nickname = values.get("nickname", "").strip()

    subject = fill_plain(text.subject, values)
    name = honorifics.addressed(nickname) if language in JAPANESE_LANGUAGES else nickname
    if loss:
        greeting = words["greeting_loss"] % {"name": name} if nickname else ""
    else:
        greeting = words["greeting"] % {"name": name} if nickname else words["greeting_anonymous"]
    body = render_markdown(text.body, values, language=language)
    contacts = list(contacts)
    heading = words["notices_heading"] % {"municipality": municipality.name}
    sender = words["sender"] % {
        "municipality": municipality.name,
        "service_name": municipality.service_name,
    }
    japanese_note = (
        words["japanese_notice"] % {"municipality": municipality.name}
        if language not in JAPANESE_LANGUAGES
        else ""
    )
    email_notices = [] if loss else _notice_parts(notices, values, language, "email", japanese_note)
    line_notices = [] if loss else _notice_parts(notices, values, language, "line", japanese_note)

    page = render_to_string(
        "content/email/message.html",
        {
            "language": language,
            "subject": subject,
            "greeting": greeting,
            "body_html": body.html,
            "service_name": municipality.service_name,
            "sender_name": municipality.sender_name,
            "notices_heading": heading,
            "notices": email_notices,
            "loss": loss,
            "contacts": contacts,
            "contact_lines": [_contact_line(contact) for contact in contacts],
            "phrases": words,
            "sender": sender,
            "manage_url": manage_url,
            "unsubscribe_url": unsubscribe_url,
        },
    )

    def plain(notice_parts: list[_NoticePart], *, with_subject: bool) -> str:
        lines: list[str] = []
        if with_subject:
            lines += [f"【{subject}】", ""]
        if greeting:
            lines += [greeting, ""]
        lines += [body.text, ""]
        if loss and contacts:
            lines += [_RULE, words["contacts_heading"], _RULE]
            for contact in contacts:
                lines.append(_contact_line(contact))
                if contact.note:
                    lines.append(f"　{contact.note}")
            lines.append("")
        if notice_parts:
            lines += [_RULE, heading, _RULE]
            for part in notice_parts:
                lines += [f"◆ {part.title}", part.text, ""]
        if contacts and not loss:
            lines += [words["contacts_short"]]
            lines += [_contact_line(contact) for contact in contacts]
            lines.append("")
        lines += ["――――", f"{municipality.service_name}（{municipality.sender_name}）", sender]
        if with_subject:
            # LINE readers manage by chat commands, so the text carries no personal link and
            # readers at the same stage get the same text: one multicast instead of many pushes.
            lines.append(words["line_commands"])
        else:
            # Each URL on a line of its own: a bracket or a full-width colon next to it would be
            # taken into the link by some mail apps.
            lines += [words["manage"], manage_url, words["unsubscribe"], unsubscribe_url]
        return "\n".join(lines).strip() + "\n"

    return RenderedMessage(
        subject=subject,
        # A plain str, not the template's SafeString: shown inside a staff page by mistake it is
        # escaped rather than injected.
        html=page + "",
        text=plain(email_notices, with_subject=False),
        line_text=plain(line_notices, with_subject=True).rstrip("\n"),
    )
