"""The national infant health checks (乳幼児健診) and each one's window for a birth date.

Pure Python on ``date``s, no Django (like :mod:`content.stages`): the planner, the staff pages
and the tests all ask here. The data below is what a medical and legal reviewer checks: each
check lists its legal basis, whether it is statutory, and its public sources under ``facts``.
Status of every fact: ``medical_review: pending`` (as of December 2026).

A child is "N months old" from ``content.stages.add_months(birth, N)`` on (born Jan 31: one
month on Feb 28, or Feb 29 in a leap year), the same rule as the stage calendar.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.utils.translation import gettext_noop

from content.stages import add_months

MEDICAL_REVIEW = "pending"


class Basis(StrEnum):
    STATUTORY = "statutory"  # 母子保健法第12条: every municipality must hold it
    MUNICIPAL = "municipal"  # 母子保健法第13条: held as the municipality decides (recommended)


@dataclass(frozen=True)
class Check:
    """One national check: from ``opens`` to the day before ``closes`` (ages after birth)."""

    number: int  # stable id in message keys (c42:checkup:<number>) and settings; never reused
    code: str
    label: str  # 「3〜4か月児健診」 as parents' letters from the municipality say it
    opens_months: int
    closes_months: int  # the window ends the day before the child is this many months old
    basis: Basis
    note: str  # what the reviewer should know about the timing
    facts: tuple[str, ...]
    opens_days: int | None = None  # day-counted windows (1か月): from birth + days
    closes_days: int | None = None
    national_subsidy_from: date | None = None  # a national subsidy for the check's cost


_LAW = "母子保健法（昭和40年法律第141号）https://laws.e-gov.go.jp/law/340AC0000000141"
_ONE_FIVE = (
    "こども家庭庁「1か月児及び5歳児健康診査支援事業」（令和5年度補正予算、"
    "令和6年度から市町村の実施費用を国が補助）"
    " https://www.cfa.go.jp/policies/boshihoken/kenkou（要確認: 事業名・開始年度・補助率）"
)
_GUIDE = (
    "こども家庭庁「乳幼児健康診査事業 実践ガイド」（平成30年3月、国立成育医療研究センター）"
    " https://www.cfa.go.jp/policies/boshihoken/kenkou"
)

CHECKS: tuple[Check, ...] = (
    Check(
        number=1,
        code="1m",
        label=gettext_noop("1か月児健診"),
        opens_months=1,
        closes_months=2,
        opens_days=27,
        closes_days=42,
        basis=Basis.MUNICIPAL,
        note="多くは出産した医療機関で個別に受ける。国の補助の対象は生後27日を超え"
        "生後6週に達しない時期（要確認）。",
        facts=(
            f"{_LAW} 第13条（必要に応じた健康診査）",
            _ONE_FIVE,
            "補助対象の時期: 生後27日を超え6週に達しない乳児（要確認）",
        ),
        national_subsidy_from=date(2024, 4, 1),
    ),
    Check(
        number=2,
        code="3-4m",
        label=gettext_noop("3〜4か月児健診"),
        opens_months=3,
        closes_months=5,
        basis=Basis.MUNICIPAL,
        note="ほぼすべての市区町村が集団または個別で実施（首のすわりの確認）。",
        facts=(f"{_LAW} 第13条", _GUIDE, "実施率はほぼ全市区町村（要確認）"),
    ),
    Check(
        number=3,
        code="6-7m",
        label=gettext_noop("6〜7か月児健診"),
        opens_months=6,
        closes_months=8,
        basis=Basis.MUNICIPAL,
        note="医療機関での個別健診（公費の受診票）とする市区町村が多い。",
        facts=(f"{_LAW} 第13条", _GUIDE),
    ),
    Check(
        number=4,
        code="9-10m",
        label=gettext_noop("9〜10か月児健診"),
        opens_months=9,
        closes_months=11,
        basis=Basis.MUNICIPAL,
        note="医療機関での個別健診（公費の受診票）とする市区町村が多い。",
        facts=(f"{_LAW} 第13条", _GUIDE),
    ),
    Check(
        number=5,
        code="18m",
        label=gettext_noop("1歳6か月児健診"),
        opens_months=18,
        closes_months=24,
        basis=Basis.STATUTORY,
        note="法定健診: 満1歳6か月を超え満2歳に達しない幼児。",
        facts=(
            f"{_LAW} 第12条第1項第1号（満1歳6か月を超え満2歳に達しない幼児）",
            "「超え」「達しない」の日の数え方（年齢計算ニ関スル法律）と本モジュールの"
            "「1歳6か月の日から2歳の前日まで」の一致（要確認）",
        ),
    ),
    Check(
        number=6,
        code="3y",
        label=gettext_noop("3歳児健診"),
        opens_months=36,
        closes_months=48,
        basis=Basis.STATUTORY,
        note="法定健診: 満3歳を超え満4歳に達しない幼児（多くは3歳6か月前後に実施）。",
        facts=(
            f"{_LAW} 第12条第1項第2号（満3歳を超え満4歳に達しない幼児）",
            "視覚検査（屈折検査）の実施推奨（こども家庭庁、要確認）",
        ),
    ),
    Check(
        number=7,
        code="5y",
        label=gettext_noop("5歳児健診"),
        opens_months=60,
        closes_months=72,
        basis=Basis.MUNICIPAL,
        note="令和6年度から国が費用を補助し、令和10年度までに全国での実施を目指す（要確認）。",
        facts=(
            f"{_LAW} 第13条",
            _ONE_FIVE,
            "対象年齢（5歳児。実施時期は市区町村により4歳6か月〜5歳台、要確認）",
        ),
        national_subsidy_from=date(2024, 4, 1),
    ),
)

BY_NUMBER = {check.number: check for check in CHECKS}


@dataclass(frozen=True)
class Window:
    check: Check
    opens: date
    last_day: date

    def contains(self, day: date) -> bool:
        return self.opens <= day <= self.last_day


def window(check: Check, birth: date) -> Window:
    """The first and last day of ``check`` for a child born on ``birth``."""
    if check.opens_days is not None and check.closes_days is not None:
        opens = birth + timedelta(days=check.opens_days + 1)  # "more than 27 days": day 28
        last_day = birth + timedelta(days=check.closes_days - 1)  # "not yet 6 weeks"
        return Window(check, opens, last_day)
    opens = add_months(birth, check.opens_months)
    return Window(check, opens, add_months(birth, check.closes_months) - timedelta(days=1))


def schedule(birth: date) -> list[Window]:
    """Every national check's window for a child born on ``birth``, in order."""
    return [window(check, birth) for check in CHECKS]


def reminder_day(check: Check, birth: date, lead_days: int) -> date:
    """The day a reminder for ``check`` goes out: ``lead_days`` before its window opens."""
    return window(check, birth).opens - timedelta(days=lead_days)


def births_opening_on(check: Check, opens: date) -> list[date]:
    """Every birth date whose window for ``check`` opens on ``opens`` (a few at month ends).

    The inverse of :func:`window`, so the planner can ask the database for exact birth dates.
    """
    if check.opens_days is not None:
        return [opens - timedelta(days=check.opens_days + 1)]
    source = add_months(date(opens.year, opens.month, 1), -check.opens_months)
    source_last = calendar.monthrange(source.year, source.month)[1]
    if opens.day < calendar.monthrange(opens.year, opens.month)[1]:
        days = range(opens.day, min(opens.day, source_last) + 1)
    else:
        # The month's last day also collects the later days of a longer source month.
        days = range(opens.day, source_last + 1)
    return [date(source.year, source.month, day) for day in days]


def births_reminded_on(check: Check, on: date, lead_days: int) -> list[date]:
    """Birth dates whose reminder for ``check`` falls on ``on``."""
    return births_opening_on(check, on + timedelta(days=lead_days))
