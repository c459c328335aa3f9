"""Checks run when staff save a text: placeholders, safe Markdown and LINE's length limit.

Every problem is a Japanese sentence naming what is wrong, attached to the field to fix. Models
call these from ``clean()``, so the admin and any other ModelForm get them alike.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError

from kizuna import clock

from .pack import LINE_TEXT_LIMIT
from .placeholders import (
    KNOWN_PLACEHOLDERS,
    PLACEHOLDER_PATTERN,
    TRACK_LABELS_JA,
    placeholders_for,
    placeholders_in,
    track_of_placeholder,
)
from .programme import stage_label_ja
from .rendering import ALLOWED_URL_SCHEMES, placeholder_values, render_message
from .stages import Stage, Track, Unit, current_stage_number, stage_start

if TYPE_CHECKING:
    from municipalities.models import Municipality

    from .models import LocalNotice, StageMessage

# Special messages that only go to one track may use that track's placeholders.
SPECIAL_MESSAGE_TRACKS = {
    "birth": Track.CHILD,
    "graduation": Track.CHILD,
    "birth-check": Track.PREGNANCY,
}

# The longest values a reader's message can carry, so that a text that passes fits every reader:
# a nickname at Subscriber.nickname's max_length, the oldest ages, a signed link of generous size.
SAMPLE_NICKNAME = "あ" * 30
SAMPLE_VALUES = {"week": "42", "days_until_due": "252", "age_months": "84", "age_days": "2555"}
SAMPLE_TOKEN = "x" * 120
# Notice ranges are matched against stages with one fixed anchor: for day and week ranges any
# anchor gives the same answer, for month ranges month ends move an edge by a day at most.
REFERENCE_ANCHOR = date(2027, 5, 1)

_BARE_PLACEHOLDER = re.compile(r"(?<!\{)\{\s*([A-Za-z_]+)\s*\}(?!\})")
_RAW_HTML = re.compile(r"<(?!https?://|mailto:)([a-zA-Z/!][^>\s]*)[^>]*>?")
# A link target may hold one level of parentheses, as Markdown allows: javascript:alert(1).
_LINK_TARGET = re.compile(r"\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)")


def _braced(name: str) -> str:
    return "{{ " + name + " }}"


def placeholder_problems(text: str, *, track: str | None = None) -> list[str]:
    """What is wrong with the placeholders in ``text`` for a message on ``track``."""
    problems: list[str] = []
    allowed = placeholders_for(track)
    for name in dict.fromkeys(placeholders_in(text)):
        if name not in KNOWN_PLACEHOLDERS:
            guess = difflib.get_close_matches(name, list(KNOWN_PLACEHOLDERS), n=1, cutoff=0.6)
            hint = f"「{_braced(guess[0])}」の書き間違いではありませんか。" if guess else ""
            usable = "、".join(_braced(known) for known in allowed)
            problems.append(
                f"差し込み項目「{_braced(name)}」はありません。{hint}使えるのは {usable} です。"
            )
        elif name not in allowed:
            owner = TRACK_LABELS_JA.get(track_of_placeholder(name) or "", "")
            problems.append(
                f"差し込み項目「{_braced(name)}」は{owner}のメッセージでしか使えません。"
                "このメッセージでは空欄になってしまいます。"
            )
    leftover = PLACEHOLDER_PATTERN.sub("", text)
    if "{{" in leftover or "}}" in leftover:
        problems.append(
            "「{{」と「}}」の対応がとれていない箇所があります。"
            "差し込み項目は {{ nickname }} のように書いてください。"
        )
    for name in dict.fromkeys(_BARE_PLACEHOLDER.findall(leftover)):
        if name in KNOWN_PLACEHOLDERS:
            problems.append(
                f"「{{{name}}}」は差し込まれません。{_braced(name)} のように"
                "波かっこを2つずつ書いてください。"
            )
    return problems


def markdown_safety_problems(body: str) -> list[str]:
    """Markup staff may not use: raw HTML, images, links to anything but web, mail and phone."""
    problems: list[str] = []
    for tag in dict.fromkeys(match.group(0)[:40] for match in _RAW_HTML.finditer(body)):
        problems.append(
            f"HTMLタグ「{tag}」は使えません。見出しは「## 」、強調は「**文字**」、"
            "リンクは「[文字](https://…)」のようにMarkdownで書いてください。"
        )
    if "![" in body:
        problems.append("画像は使えません。画像のあるページへのリンクにしてください。")
    for target in dict.fromkeys(_LINK_TARGET.findall(body)):
        if PLACEHOLDER_PATTERN.search(target) or "{{" in target:
            problems.append(f"リンク先「{target}」に差し込み項目は使えません。")
            continue
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme not in ALLOWED_URL_SCHEMES or (
            target.lower().startswith("http") and "//" not in target
        ):
            problems.append(
                f"リンク先「{target}」は使えません。https:// で始まるアドレス、"
                "メールアドレス（mailto:）、電話番号（tel:）だけが使えます。"
            )
    return problems


def validate_placeholders(value: str, track: str | None = None) -> None:
    """Raise a ValidationError naming each unknown, misspelt or misplaced placeholder."""
    problems = placeholder_problems(value, track=track)
    if problems:
        raise ValidationError(problems, code="placeholder")


def check_written_text(
    text: Any, *, track: str | None, subject_field: str = "subject", body_field: str = "body"
) -> None:
    """Placeholders in subject and body, and safe Markdown in the body, of a text being saved."""
    errors: dict[str, list[str]] = defaultdict(list)
    subject = getattr(text, subject_field) or ""
    body = getattr(text, body_field) or ""
    errors[subject_field] += placeholder_problems(subject, track=track)
    if "\n" in subject or "\r" in subject:
        errors[subject_field].append("件名に改行は入れられません。")
    errors[body_field] += placeholder_problems(body, track=track)
    errors[body_field] += markdown_safety_problems(body)
    errors = {field: problems for field, problems in errors.items() if problems}
    if errors:
        raise ValidationError(errors)


# LINE length ---------------------------------------------------------------------------------


def _sample_municipality() -> Municipality:
    from municipalities.models import Municipality

    return Municipality(
        name="〇" * 10, service_name="〇" * 24, sender_name="〇" * 24, slug="sample"
    )


def _sample_placeholders(municipality: Municipality) -> dict[str, str]:
    return {
        **placeholder_values(municipality=municipality, nickname=SAMPLE_NICKNAME),
        **SAMPLE_VALUES,
    }


def _line_length(
    text: Any, municipality: Municipality, notices: Sequence[LocalNotice], contacts: Sequence
) -> int:
    base = f"{settings.SITE_URL}/m/{municipality.slug or 'sample'}/"
    rendered = render_message(
        text,
        municipality=municipality,
        placeholders=_sample_placeholders(municipality),
        notices=notices,
        contacts=contacts,
        manage_url=base + "manage/" + SAMPLE_TOKEN,
        unsubscribe_url=base + "unsubscribe/" + SAMPLE_TOKEN,
    )
    return rendered.line_length


def line_too_long(length: int, context: str, field: str) -> ValidationError:
    over = length - LINE_TEXT_LIMIT
    return ValidationError(
        {
            field: (
                f"LINEで送る文章が{length:,}文字になり、LINEの上限{LINE_TEXT_LIMIT:,}文字を"
                f"{over:,}文字超えます（{context}）。本文を短くしてください。"
            )
        },
        code="line_too_long",
    )


def _has_text(text: Any) -> bool:
    return bool(getattr(text, "subject", None) is not None and getattr(text, "body", None))


def check_line_length_alone(text: Any) -> None:
    """A special or birthday message must fit LINE's limit with greeting, contacts and footer."""
    if not _has_text(text):
        return
    municipality = getattr(text, "municipality", None) or _sample_municipality()
    contacts = list(municipality.contacts.all()) if municipality.pk else []
    length = _line_length(text, municipality, [], contacts)
    if length > LINE_TEXT_LIMIT:
        raise line_too_long(length, "あいさつ・相談窓口・配信停止の案内を含む", "body")


def notice_applies_to_stage(notice: LocalNotice, stage: Stage) -> bool:
    """Whether a family entering ``stage`` is inside the notice's stage range that day."""
    if notice.track != stage.track or notice.number_from is None or notice.number_to is None:
        return False
    on = stage_start(stage, REFERENCE_ANCHOR)
    number = current_stage_number(Track(notice.track), Unit(notice.unit), REFERENCE_ANCHOR, on)
    return notice.number_from <= number <= notice.number_to


def _shown_on(notice: LocalNotice, day: date) -> bool:
    return (notice.starts_on is None or notice.starts_on <= day) and (
        notice.ends_on is None or notice.ends_on >= day
    )


def _notice_sets(
    notices: Sequence[LocalNotice], *, start: date, end: date | None
) -> list[list[LocalNotice]]:
    """Every set of notices shown together on some day from ``start`` to ``end``.

    The most notices overlap on some notice's first day, so only those days need checking.
    """
    days = {start} | {
        n.starts_on
        for n in notices
        if n.starts_on and n.starts_on > start and (end is None or n.starts_on <= end)
    }
    sets: dict[frozenset, list[LocalNotice]] = {}
    for day in sorted(days):
        shown = [n for n in notices if _shown_on(n, day)]
        if shown:
            sets.setdefault(frozenset(id(n) for n in shown), shown)
    return list(sets.values())


def _goes_to_line(notice: LocalNotice) -> bool:
    return notice.channels in ("both", "line")


def check_notice_line_length(notice: LocalNotice) -> None:
    """The notice, with the other notices shown beside it, must fit every stage message it joins."""
    from .models import LocalNotice, StageMessage

    if (
        not _goes_to_line(notice)
        or notice.municipality_id is None
        or notice.track not in (Track.PREGNANCY, Track.CHILD)
        or notice.unit not in {u.value for u in Unit}
        or notice.number_from is None
        or notice.number_to is None
        or not notice.body
    ):
        return
    if notice.track == Track.PREGNANCY and notice.unit == Unit.YEAR:
        return
    start = max(clock.today(), notice.starts_on or clock.today())
    if notice.ends_on is not None and notice.ends_on < start:
        return
    municipality = notice.municipality
    contacts = list(municipality.contacts.all())
    others = [
        other
        for other in LocalNotice.objects.published()
        .filter(municipality=municipality, track=notice.track, channels__in=["both", "line"])
        .exclude(pk=notice.pk)
        if _shown_on_any(other, start, notice.ends_on)
    ]
    longest: dict[Stage, StageMessage] = {}
    for message in StageMessage.objects.filter(track=notice.track):
        stage = message.stage
        if not notice_applies_to_stage(notice, stage):
            continue
        current = longest.get(stage)
        if current is None or len(message.subject) + len(message.body) > len(current.subject) + len(
            current.body
        ):
            longest[stage] = message
    if not longest:
        # No national text in range yet: the notice must at least fit with greeting and footer.
        first = Stage(Track(notice.track), Unit(notice.unit), notice.number_from)
        longest = {first: SimpleNamespace(subject="", body="", language="ja")}
    worst: tuple[int, str] = (0, "")
    for stage, message in sorted(longest.items()):
        beside = [other for other in others if notice_applies_to_stage(other, stage)]
        for shown in _notice_sets([notice, *beside], start=start, end=notice.ends_on):
            if notice not in shown:
                continue
            length = _line_length(message, municipality, shown, contacts)
            if length > worst[0]:
                extra = f"・ほかのお知らせ{len(shown) - 1}件" if len(shown) > 1 else ""
                worst = (length, f"{stage_label_ja(stage)}のメッセージ{extra}と合わせた長さ")
    if worst[0] > LINE_TEXT_LIMIT:
        raise line_too_long(worst[0], worst[1], "body")


def _shown_on_any(notice: LocalNotice, start: date, end: date | None) -> bool:
    """Whether the notice's date window overlaps ``start``–``end`` (``end`` open when None)."""
    if notice.ends_on is not None and notice.ends_on < start:
        return False
    return not (end is not None and notice.starts_on is not None and notice.starts_on > end)


def check_stage_message_line_length(message: StageMessage) -> None:
    """The stage message must fit LINE alone, and with each municipality's notices for its stage."""
    from .models import LocalNotice

    if not _has_text(message):
        return
    try:
        stage = message.stage
    except ValueError:
        return
    length = _line_length(message, _sample_municipality(), [], [])
    if length > LINE_TEXT_LIMIT:
        raise line_too_long(length, "あいさつと配信停止の案内を含む", "body")
    today = clock.today()
    by_municipality: dict[int, list[LocalNotice]] = defaultdict(list)
    for notice in (
        LocalNotice.objects.published()
        .filter(track=message.track, channels__in=["both", "line"])
        .exclude(ends_on__lt=today)
        .select_related("municipality")
    ):
        if notice_applies_to_stage(notice, stage):
            by_municipality[notice.municipality_id].append(notice)
    worst: tuple[int, str] = (0, "")
    for notices in by_municipality.values():
        municipality = notices[0].municipality
        contacts = list(municipality.contacts.all())
        for shown in _notice_sets(notices, start=today, end=None):
            length = _line_length(message, municipality, shown, contacts)
            if length > worst[0]:
                worst = (length, f"{municipality.name}のお知らせ{len(shown)}件と合わせた長さ")
    if worst[0] > LINE_TEXT_LIMIT:
        raise line_too_long(worst[0], worst[1], "body")
