"""The hand-over file for a municipality's 母子保健 system: one row per case or response.

UTF-8 with a BOM opens in Excel; many 母子保健 systems read Shift_JIS (cp932) only, so staff
choose. A character cp932 lacks (an emoji a parent typed) becomes 「?」 there: said on the page.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from enum import StrEnum

from django.http import HttpResponse

from kizuna import clock
from kizuna.spreadsheets import BOM, excel_csv
from municipalities.models import Municipality

from .models import Answer, Case, Response


class Encoding(StrEnum):
    UTF8 = "utf-8"
    SHIFT_JIS = "shift_jis"

    @classmethod
    def from_request(cls, value: str | None) -> Encoding:
        return (
            cls.SHIFT_JIS
            if (value or "").strip().lower() in ("shift_jis", "sjis", "cp932")
            else cls.UTF8
        )


HEADER = [
    "ケース番号",
    "受付日",
    "きっかけ",
    "理由の詳細",
    "状態",
    "結果",
    "担当",
    "連絡の期限",
    "終了日",
    "ニックネーム",
    "続柄",
    "メールアドレス",
    "電話番号（保護者の記入）",
    "連絡のつきやすい時間",
    "出産予定日",
    "生年月日",
    "保護者のひとこと",
    "アンケート",
    "回答日",
    "合計点",
    "回答",
]


def _date(moment: datetime.datetime | None) -> str:
    return moment.astimezone(clock.TOKYO).date().isoformat() if moment else ""


def answers_text(response: Response | None) -> str:
    """Every answer of a response in one cell: 「問1 体調: まあまあ／問2 …」."""
    if response is None:
        return ""
    parts = []
    items: list[Answer] = list(response.answers.all())
    for number, item in enumerate(items, start=1):
        options = item.question.parsed_options()
        value = item.text or "、".join(
            options[i - 1].label for i in item.choices if 1 <= i <= len(options)
        )
        points = f"（{item.points}点）" if item.points is not None else ""
        parts.append(f"問{number} {item.question.text}: {value}{points}")
    return "／".join(parts)


def case_rows(municipality: Municipality) -> Iterator[Sequence[object]]:
    yield HEADER
    cases = (
        Case.objects.filter(municipality=municipality)
        .select_related("subscriber", "child", "assignee", "response__questionnaire")
        .prefetch_related("response__answers__question")
        .order_by("opened_at", "pk")
    )
    for case in cases.iterator(chunk_size=500):
        response = case.response
        child = case.child
        yield [
            case.pk,
            _date(case.opened_at),
            case.get_reason_display(),
            case.detail,
            case.get_state_display(),
            case.get_outcome_display() if case.outcome else "",
            case.assignee.get_username() if case.assignee else "",
            case.due_on.isoformat(),
            _date(case.closed_at),
            case.subscriber.nickname,
            case.subscriber.get_relationship_display(),
            case.subscriber.email or "",
            case.phone,
            case.reachable,
            child.due_date.isoformat() if child and child.due_date else "",
            child.birth_date.isoformat() if child and child.birth_date else "",
            case.message,
            response.questionnaire.title if response else "",
            _date(response.answered_at) if response else "",
            response.total_score if response and response.total_score is not None else "",
            answers_text(response),
        ]


def encode(body: str, encoding: Encoding) -> bytes:
    if encoding == Encoding.SHIFT_JIS:
        return body.removeprefix(BOM).encode("cp932", errors="replace")
    return body.encode("utf-8")


def download(municipality: Municipality, encoding: Encoding) -> HttpResponse:
    body = encode(excel_csv(case_rows(municipality)), encoding)
    charset = "shift_jis" if encoding == Encoding.SHIFT_JIS else "utf-8"
    response = HttpResponse(body, content_type=f"text/csv; charset={charset}")
    name = f"followups-{municipality.code}-{clock.today():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
