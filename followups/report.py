"""Follow-up cases in the yearly report (事業報告): counts per fiscal year, no names.

Registered with ``kizuna.report_sections`` from ``FollowupsConfig.ready()``; ``reports`` lays the
section out and shows any count under 10 as 「10未満」.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from kizuna import clock
from kizuna.fiscal import fiscal_year_bounds
from kizuna.report_sections import ReportSection, SectionCounts

from .models import Case


def _fiscal_year_start(fiscal_year: int) -> datetime.datetime:
    """0:00 in Tokyo on the first day of the fiscal year (年度)."""
    first_day, _ = fiscal_year_bounds(fiscal_year)
    return datetime.datetime.combine(first_day, datetime.time(), tzinfo=clock.TOKYO)


def case_counts(municipality_id: int, fiscal_year: int) -> SectionCounts:
    """Cases opened in the fiscal year (and why), and cases closed in it, in one query."""
    start, end = _fiscal_year_start(fiscal_year), _fiscal_year_start(fiscal_year + 1)
    opened = Q(opened_at__gte=start, opened_at__lt=end)
    counts = Case.objects.filter(municipality_id=municipality_id).aggregate(
        opened=Count("pk", filter=opened),
        talk=Count("pk", filter=opened & Q(reason=Case.Reason.TALK)),
        contact=Count("pk", filter=opened & Q(reason=Case.Reason.CONTACT)),
        threshold=Count("pk", filter=opened & Q(reason=Case.Reason.THRESHOLD)),
        closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
    )
    rows = [
        ("受け付けたケース", counts["opened"]),
        ("うち「話を聞いてほしい」から", counts["talk"]),
        ("うちアンケートで連絡を希望", counts["contact"]),
        ("うちアンケートの点数から", counts["threshold"]),
        ("終了したケース", counts["closed"]),
    ]
    sentence = ""
    if counts["opened"] >= 10 and counts["closed"] >= 10:
        sentence = (
            f"保健師によるフォローアップは{counts['opened']:,}件のご相談・ご希望を受け付け、"
            f"{counts['closed']:,}件を終えました（年度内に終えたものは前年度からの継続を含みます）。"
        )
    return SectionCounts(
        rows=rows,
        note="ケースは保護者からの連絡の希望・アンケートの点数で始まり、保健師が対応して終えます。",
        sentence=sentence,
    )


SECTION = ReportSection(
    key="followups", title="伴走型相談支援のフォローアップ", build=case_counts, order=80
)
