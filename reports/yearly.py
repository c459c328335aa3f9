"""The yearly report (事業報告): this fiscal year beside the previous one, as tables of cells and
plain sentences a council answer can quote. The page, the PDF and the Excel file all show this.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from kizuna.choices import Channel
from kizuna.fiscal import fiscal_year_label, wareki_fiscal_year
from kizuna.report_sections import registered_sections
from municipalities.charts import Bar, HorizontalBar, horizontal_bars
from municipalities.models import Municipality
from subscribers.models import Child

from . import selectors
from .cells import HIDDEN, Cell, Count, Number, Share, Text, count_text
from .selectors import RETENTION_MONTHS, STAGES, WEEK_BUCKETS, YearFigures

SMALL_COUNT_NOTE = "個人が特定されないよう、10未満の数は「10未満」と表示し、それをもとにした割合は表示していません。"


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[Row]
    note: str = ""
    # Bars for the PDF and the page: (label, value), drawn against the largest; only shown counts.
    bars: list[tuple[str, int]] = field(default_factory=list)

    @property
    def chart(self) -> list[HorizontalBar]:
        """The bars for the page's SVG (2 or more to compare, else nothing)."""
        if len(self.bars) < 2:
            return []
        return horizontal_bars([Bar(label, value) for label, value in self.bars])


@dataclass
class Report:
    municipality: Municipality
    fiscal_year: int
    generated_on: datetime.date
    sentences: list[str]
    tables: list[Table]

    @property
    def title(self) -> str:
        return f"{self.municipality.name} {wareki_fiscal_year(self.fiscal_year)} 事業報告"

    @property
    def year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def filename(self) -> str:
        return f"jigyo-hokoku-{self.municipality.slug}-fy{self.fiscal_year}"


def _share_text(part: int, whole: int, *, public_whole: bool = False) -> str | None:
    share = Share(part, whole, public_whole=public_whole)
    return None if share.percent is None else f"{share.percent}%"


def _year_columns(this: YearFigures, last: YearFigures) -> list[str]:
    return [
        wareki_fiscal_year(this.fiscal_year),
        f"前年度（{wareki_fiscal_year(last.fiscal_year)}）",
    ]


def coverage_table(this: YearFigures, last: YearFigures) -> Table:
    def column(y: YearFigures) -> list[Cell]:
        r = y.registrations
        births = y.births or 0
        return [
            Number(y.births, "人"),
            Count(y.born_and_registered),
            Share(y.born_and_registered, births, public_whole=True) if births else Text("—"),
            Count(r.families),
            Count(r.in_pregnancy),
            Share(r.in_pregnancy, r.families),
            Share(r.before_week_20, r.families),
        ]

    labels = [
        "出生数（人口動態）",
        "年度内に生まれたお子さまのうち登録したご家庭",
        "出生数に対する登録の割合",
        "年度内に登録したご家庭",
        "うち妊娠中に登録",
        "妊娠中に登録した割合",
        "妊娠20週までに登録した割合",
    ]
    a, b = column(this), column(last)
    return Table(
        "出生数と登録",
        ["", *_year_columns(this, last)],
        [Row(label, [a[i], b[i]]) for i, label in enumerate(labels)],
        note="登録は、登録を完了した読者のいるご家庭（妊娠・お子さま）ごとに数えています。",
        bars=[
            (wareki_fiscal_year(y.fiscal_year), y.born_and_registered)
            for y in (last, this)
            if y.born_and_registered >= 10
        ],
    )


def weeks_by_channel_table(this: YearFigures) -> Table:
    r = this.registrations
    rows = []
    for channel, label in [("", "全体"), *Channel.choices]:
        counts = [
            sum(n for (b, c), n in r.by_channel.items() if b == bucket and channel in ("", c))
            for bucket, _ in WEEK_BUCKETS
        ]
        rows.append(Row(str(label), [*map(Count, counts), Count(sum(counts))]))
    overall = rows[0].cells
    return Table(
        "登録したときの妊娠週数（配信方法別）",
        ["", *(label for _, label in WEEK_BUCKETS), "計"],
        rows,
        bars=[
            (label, cell.n)
            for (_, label), cell in zip(WEEK_BUCKETS, overall, strict=False)
            if isinstance(cell, Count) and not cell.hidden
        ],
    )


def weeks_by_source_table(this: YearFigures) -> Table:
    r = this.registrations
    sources = sorted({source for _, source in r.by_source}, key=lambda s: (s.startswith("（"), s))
    rows = []
    for source in sources:
        counts = [r.by_source[(bucket, source)] for bucket, _ in WEEK_BUCKETS]
        rows.append(Row(source, [*map(Count, counts), Count(sum(counts))]))
    return Table(
        "登録したときの妊娠週数（登録のきっかけ別）",
        ["登録のきっかけ（チラシのタグなど）", *(label for _, label in WEEK_BUCKETS), "計"],
        rows,
        note="きっかけは、登録ページのURLの src= の値（チラシのQRコードごとのタグ）です。",
    )


def retention_table(this: YearFigures) -> Table:
    rows = []
    for cohort in this.cohorts:
        rows.append(
            Row(
                f"{cohort.month.year}年{cohort.month.month}月",
                [
                    Count(cohort.readers),
                    *(
                        Share(cohort.kept[m], cohort.due[m], pending=not cohort.due[m])
                        for m in RETENTION_MONTHS
                    ),
                ],
            )
        )
    total = sum(c.readers for c in this.cohorts)
    rows.append(
        Row(
            "年度計",
            [
                Count(total),
                *(
                    Share(*this.retention(m), pending=not this.retention(m)[1])
                    for m in RETENTION_MONTHS
                ),
            ],
        )
    )
    return Table(
        "登録後も受け取りを続けている読者の割合（登録月別）",
        ["登録した月", "登録した読者", *(f"{m}か月後" for m in RETENTION_MONTHS)],
        rows,
        note="その月数がまだ経っていない読者は割合に含めません（すべて未到来なら「未到来」）。",
    )


def unsubscribe_table(this: YearFigures) -> Table:
    reasons = [*selectors.UNSUBSCRIBE_REASONS, selectors.NO_REASON]
    rows = []
    for reason in reasons:
        counts = [this.unsubscribes[(reason, stage)] for stage, _ in STAGES]
        if sum(counts):
            rows.append(Row(reason, [*map(Count, counts), Count(sum(counts))]))
    totals = [
        sum(n for (_, s), n in this.unsubscribes.items() if s == stage) for stage, _ in STAGES
    ]
    rows.append(Row("計", [*map(Count, totals), Count(sum(totals))]))
    return Table(
        "配信停止（理由と、そのときのお子さまの時期）",
        ["理由", *(label for _, label in STAGES), "計"],
        rows,
    )


def losses_table(this: YearFigures, last: YearFigures) -> Table:
    rows = [
        Row(str(label), [Count(this.losses[kind]), Count(last.losses[kind])])
        for kind, label in Child.Loss.choices
    ]
    rows.append(Row("計", [Count(sum(this.losses.values())), Count(sum(last.losses.values()))]))
    return Table(
        "流産・死産・お子さまの死亡のご連絡（件数のみ）",
        ["", *_year_columns(this, last)],
        rows,
        note="ご連絡のあと、そのお子さまについてのメッセージはお送りしていません。",
    )


def sent_table(this: YearFigures, last: YearFigures) -> Table:
    rows = [
        Row(str(label), [Number(this.sent[ch], "通"), Number(last.sent[ch], "通")])
        for ch, label in Channel.choices
    ]
    rows.append(
        Row(
            "計",
            [Number(sum(this.sent.values()), "通"), Number(sum(last.sent.values()), "通")],
        )
    )
    return Table(
        "配信したメッセージ（配信方法別）",
        ["", *_year_columns(this, last)],
        rows,
        bars=[(str(label), this.sent[ch]) for ch, label in Channel.choices],
    )


def satisfaction_table(this: YearFigures, last: YearFigures) -> Table:
    def cells(y: YearFigures) -> list[Cell]:
        if y.satisfaction is None:
            return [Text("実施なし"), Text("—")]
        answers, satisfied = y.satisfaction
        if answers < 10 or satisfied is None:
            return [Count(answers), Text("—")]
        return [Count(answers), Text(f"{satisfied}%")]

    a, b = cells(this), cells(last)
    return Table(
        "読者アンケートの満足度",
        ["", *_year_columns(this, last)],
        [Row("回答した読者", [a[0], b[0]]), Row("「満足」「やや満足」の割合", [a[1], b[1]])],
    )


def section_tables(this: YearFigures, last: YearFigures) -> tuple[list[Table], list[str]]:
    """The tables and sentences of the sections other apps registered (follow-up cases…)."""
    tables, sentences = [], []
    for section in registered_sections():
        now = section.build(this.municipality.pk, this.fiscal_year)
        before = dict(section.build(last.municipality.pk, last.fiscal_year).rows)
        tables.append(
            Table(
                section.title,
                ["", *_year_columns(this, last)],
                [Row(label, [Count(n), Count(before.get(label, 0))]) for label, n in now.rows],
                note=now.note,
            )
        )
        if now.sentence:
            sentences.append(now.sentence)
    return tables, sentences


def sentences(this: YearFigures, last: YearFigures) -> list[str]:
    year, previous = wareki_fiscal_year(this.fiscal_year), wareki_fiscal_year(last.fiscal_year)
    said = []
    if this.births:
        share = _share_text(this.born_and_registered, this.births, public_whole=True)
        before = (
            _share_text(last.born_and_registered, last.births, public_whole=True)
            if last.births
            else None
        )
        if share:
            said.append(
                f"{year}は出生数{this.births:,}人のうち{share}"
                f"（{this.born_and_registered:,}人）のご家庭に登録いただきました"
                + (f"（{previous}は{before}）。" if before else "。")
            )
        else:
            said.append(
                f"{year}は出生数{this.births:,}人のうち、登録いただいたご家庭は{HIDDEN}でした。"
            )
    else:
        said.append(f"{year}の出生数はまだ入力されていません。")
    r = this.registrations
    if r.families:
        text = f"{year}に新しく登録したご家庭は{count_text(r.families, '世帯')}"
        pregnancy = _share_text(r.in_pregnancy, r.families)
        early = _share_text(r.before_week_20, r.families)
        if pregnancy:
            text += f"で、そのうち{pregnancy}が妊娠中に登録しました"
            if early:
                text += f"（妊娠20週までの登録は{early}）"
        said.append(text + f"（{previous}は{count_text(last.registrations.families, '世帯')}）。")
    kept, due = this.retention(6)
    if due:
        share = _share_text(kept, due)
        if share:
            said.append(f"登録から6か月後も受け取りを続けている読者は{share}でした。")
    total, before_total = sum(this.sent.values()), sum(last.sent.values())
    if total:
        parts = "、".join(f"{label}{this.sent[ch]:,}通" for ch, label in Channel.choices)
        said.append(
            f"お送りしたメッセージは{parts}、合わせて{total:,}通でした"
            f"（{previous}は{before_total:,}通）。"
        )
    if this.satisfaction and this.satisfaction[0] >= 10 and this.satisfaction[1] is not None:
        answers, satisfied = this.satisfaction
        said.append(
            f"読者アンケートでは、回答した{answers:,}人の{satisfied}%が"
            "「満足」「やや満足」と答えました。"
        )
    if this.unsubscribed:
        reasons = [
            (sum(n for (r2, _), n in this.unsubscribes.items() if r2 == reason), reason)
            for reason in selectors.UNSUBSCRIBE_REASONS
        ]
        top = max(reasons)
        text = f"配信を停止した読者は{count_text(this.unsubscribed, '人')}"
        if top[0] >= 10:
            text += f"で、選ばれた理由で最も多かったのは「{top[1]}」でした"
        said.append(text + "。")
    return said


def yearly_report(
    municipality: Municipality, fiscal_year: int, *, today: datetime.date, now=None
) -> Report:
    this = selectors.year_figures(municipality, fiscal_year, now)
    last = selectors.year_figures(municipality, fiscal_year - 1, now)
    extra_tables, extra_sentences = section_tables(this, last)
    tables = [
        coverage_table(this, last),
        weeks_by_channel_table(this),
        weeks_by_source_table(this),
        retention_table(this),
        unsubscribe_table(this),
        losses_table(this, last),
        satisfaction_table(this, last),
        sent_table(this, last),
        *extra_tables,
    ]
    return Report(municipality, fiscal_year, today, sentences(this, last) + extra_sentences, tables)
