"""What LINE charges a month for a number of messages, per official account plan.

Prices as LINE Yahoo publishes them for LINE公式アカウント (in yen, tax excluded), read in
December 2026 from LINE's plan page as quoted by partners; 要確認 before quoting them to a
municipality: コミュニケーション ¥0 with 200 messages and none beyond, ライト ¥5,000 with
5,000 and none beyond, スタンダード ¥15,000 with 30,000 and each further message priced by the
band it falls in (¥3.0 up to 50,000, falling to ¥1.0 beyond 4,000,000 in this table), and the
地方公共団体プラン (one account per 都道府県・市区町村, on application) ¥0 with no limit. A
hospital edition cannot have the 地方公共団体プラン.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# (messages up to and including, yen per message) for the スタンダード plan's extra messages.
STANDARD_BANDS: tuple[tuple[int | None, Decimal], ...] = (
    (50_000, Decimal("3.0")),
    (100_000, Decimal("2.8")),
    (200_000, Decimal("2.6")),
    (300_000, Decimal("2.4")),
    (400_000, Decimal("2.2")),
    (500_000, Decimal("2.0")),
    (600_000, Decimal("1.9")),
    (700_000, Decimal("1.8")),
    (800_000, Decimal("1.7")),
    (900_000, Decimal("1.6")),
    (1_000_000, Decimal("1.5")),
    (1_500_000, Decimal("1.4")),
    (2_000_000, Decimal("1.3")),
    (3_000_000, Decimal("1.2")),
    (4_000_000, Decimal("1.1")),
    (None, Decimal("1.0")),
)


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    monthly_yen: int
    included: int | None  # None: no limit
    extra_bands: tuple[tuple[int | None, Decimal], ...] = ()  # empty: nothing beyond included
    municipalities_only: bool = False


PLANS = (
    Plan("communication", "コミュニケーションプラン", 0, 200),
    Plan("light", "ライトプラン", 5_000, 5_000),
    Plan("standard", "スタンダードプラン", 15_000, 30_000, STANDARD_BANDS),
    Plan("local_government", "地方公共団体プラン", 0, None, municipalities_only=True),
)


@dataclass(frozen=True)
class Cost:
    plan: Plan
    yen: int | None  # None: the plan cannot send that many messages in a month
    available: bool  # False: the plan is not open to this tenant (a hospital)


def monthly_yen(plan: Plan, messages: int) -> int | None:
    """The month's charge for ``messages`` on ``plan`` (rounded down to the yen), or None."""
    if plan.included is None or messages <= plan.included:
        return plan.monthly_yen
    if not plan.extra_bands:
        return None
    total, counted = Decimal(plan.monthly_yen), plan.included
    for upper, price in plan.extra_bands:
        top = messages if upper is None else min(messages, upper)
        if top > counted:
            total += (top - counted) * price
            counted = top
        if counted >= messages:
            break
    return int(total)


def costs(messages: int, *, municipality: bool) -> list[Cost]:
    return [
        Cost(plan, monthly_yen(plan, messages), municipality or not plan.municipalities_only)
        for plan in PLANS
    ]
