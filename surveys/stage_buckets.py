"""Stage buckets: the periods results are broken down by, and surveys can be targeted at.

The same bands as the municipality overview (妊娠初期・中期・後期, 生後0〜2か月…), under stable codes
that are stored with each response, so a breakdown never depends on today's date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from django.db.models import Q

from content.stages import gestational_age, whole_months
from subscribers.family_overview import CHILD_BANDS, PREGNANCY_BANDS, latest_birth_date_aged

NO_STAGE = "none"


@dataclass(frozen=True)
class StageBucket:
    code: str
    label: str
    track: str  # "pregnancy" (weeks) or "child" (months)
    first: int | None  # inclusive
    last: int | None  # exclusive

    def holds(self, number: int) -> bool:
        return (self.first is None or number >= self.first) and (
            self.last is None or number < self.last
        )


_PREGNANCY_CODES = ["pregnancy-early", "pregnancy-mid", "pregnancy-late", "pregnancy-overdue"]
_CHILD_CODES = ["child-0-2m", "child-3-5m", "child-6-11m", "child-1y", "child-2y", "child-3y"]

BUCKETS: list[StageBucket] = [
    *(
        StageBucket(code, label, "pregnancy", first, last)
        for code, (label, first, last) in zip(_PREGNANCY_CODES, PREGNANCY_BANDS, strict=True)
    ),
    *(
        StageBucket(code, label, "child", first, last)
        for code, (label, first, last) in zip(_CHILD_CODES, CHILD_BANDS, strict=True)
    ),
]
BY_CODE = {bucket.code: bucket for bucket in BUCKETS}
CHOICES = [(bucket.code, bucket.label) for bucket in BUCKETS]
LABELS = {**dict(CHOICES), NO_STAGE: "時期なし"}


class FollowedChild(Protocol):
    """What bucketing needs of a child: its status and anchors (a Child will do)."""

    @property
    def status(self) -> str: ...

    @property
    def due_date(self) -> date | None: ...

    @property
    def birth_date(self) -> date | None: ...


def bucket_of_child(child: FollowedChild, on: date) -> str:
    """The bucket a pregnancy or a child is in on ``on``; NO_STAGE when it is no longer followed."""
    if child.status == "expecting" and child.due_date:
        week = gestational_age(child.due_date, on).week
        return next(b.code for b in BUCKETS if b.track == "pregnancy" and b.holds(max(week, 0)))
    if child.status == "born" and child.birth_date:
        months = max(whole_months(child.birth_date, on), 0)
        return next(b.code for b in BUCKETS if b.track == "child" and b.holds(months))
    return NO_STAGE


def reader_bucket(children: Iterable[FollowedChild], on: date) -> str:
    """A reader's bucket: the pregnancy they follow if any, else their youngest child's age.

    A reader following a pregnancy and an older child answers mostly as an expecting parent,
    so the pregnancy wins; among children, the youngest is the one the messages are about.
    """
    followed = [c for c in children if bucket_of_child(c, on) != NO_STAGE]
    pregnancies = [c for c in followed if c.status == "expecting"]
    if pregnancies:
        return bucket_of_child(max(pregnancies, key=lambda c: c.due_date), on)
    if followed:
        return bucket_of_child(max(followed, key=lambda c: c.birth_date), on)
    return NO_STAGE


def child_condition(codes: Iterable[str], on: date, prefix: str = "") -> Q:
    """Children (``prefix`` e.g. "subscriptions__child__") in any of these buckets on ``on``."""
    condition = Q(pk__in=[])
    for code in codes:
        bucket = BY_CODE[code]
        if bucket.track == "pregnancy":
            # Later weeks mean earlier due dates: week >= first <=> due <= due date at first.
            part = Q(**{f"{prefix}status": "expecting"})
            if bucket.first is not None:
                part &= Q(**{f"{prefix}due_date__lte": _due_date_at_week(bucket.first, on)})
            if bucket.last is not None:
                part &= Q(**{f"{prefix}due_date__gt": _due_date_at_week(bucket.last, on)})
        else:
            part = Q(
                **{
                    f"{prefix}status": "born",
                    f"{prefix}birth_date__lte": latest_birth_date_aged(bucket.first or 0, on),
                }
            )
            if bucket.last is not None:
                part &= Q(**{f"{prefix}birth_date__gt": latest_birth_date_aged(bucket.last, on)})
        condition |= part
    return condition


def _due_date_at_week(week: int, on: date) -> date:
    """The due date of a pregnancy entering ``week`` on ``on`` (gestational days = 280 - (D - T))."""
    return on + timedelta(days=280 - week * 7)
