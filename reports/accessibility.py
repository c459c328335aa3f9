"""The JIS X 8341-3:2016 (WCAG 2.0) level AA report of the parent pages, from axe-core's results.

The test suite runs axe-core in Chromium over every parent page (tests/reports/test_accessibility.py)
and hands the results here; this module turns them into the conformance table procurement asks
for: each success criterion of levels A and AA, whether axe-core checked it automatically, and
the result. What no automated rule covers is marked for a person to check, not passed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# (number, JIS X 8341-3:2016 name, level)
CRITERIA = [
    ("1.1.1", "非テキストコンテンツ", "A"),
    ("1.2.1", "音声のみ及び映像のみ（収録済み）", "A"),
    ("1.2.2", "キャプション（収録済み）", "A"),
    ("1.2.3", "音声解説、又はメディアに対する代替（収録済み）", "A"),
    ("1.2.4", "キャプション（ライブ）", "AA"),
    ("1.2.5", "音声解説（収録済み）", "AA"),
    ("1.3.1", "情報及び関係性", "A"),
    ("1.3.2", "意味のある順序", "A"),
    ("1.3.3", "感覚的な特徴", "A"),
    ("1.4.1", "色の使用", "A"),
    ("1.4.2", "音声の制御", "A"),
    ("1.4.3", "コントラスト（最低限レベル）", "AA"),
    ("1.4.4", "テキストのサイズ変更", "AA"),
    ("1.4.5", "文字画像", "AA"),
    ("2.1.1", "キーボード", "A"),
    ("2.1.2", "キーボードトラップなし", "A"),
    ("2.2.1", "タイミング調整可能", "A"),
    ("2.2.2", "一時停止、停止、非表示", "A"),
    ("2.3.1", "3回の閃光、又は閾値以下", "A"),
    ("2.4.1", "ブロックスキップ", "A"),
    ("2.4.2", "ページタイトル", "A"),
    ("2.4.3", "フォーカス順序", "A"),
    ("2.4.4", "リンクの目的（コンテキスト内）", "A"),
    ("2.4.5", "複数の手段", "AA"),
    ("2.4.6", "見出し及びラベル", "AA"),
    ("2.4.7", "フォーカスの可視化", "AA"),
    ("3.1.1", "ページの言語", "A"),
    ("3.1.2", "一部分の言語", "AA"),
    ("3.2.1", "フォーカス時", "A"),
    ("3.2.2", "入力時", "A"),
    ("3.2.3", "一貫したナビゲーション", "AA"),
    ("3.2.4", "一貫した識別性", "AA"),
    ("3.3.1", "エラーの特定", "A"),
    ("3.3.2", "ラベル又は説明", "A"),
    ("3.3.3", "エラー修正の提案", "AA"),
    ("3.3.4", "エラー回避（法的、金融、データ）", "AA"),
    ("4.1.1", "構文解析", "A"),
    ("4.1.2", "名前（name）・役割（role）及び値（value）", "A"),
]
TAGS = ["wcag2a", "wcag2aa"]  # JIS X 8341-3:2016 is WCAG 2.0: levels A and AA

PASSED = "適合（自動試験）"
FAILED = "不適合"
REVIEW = "要確認（自動試験で判定できない箇所あり）"
NOT_APPLICABLE = "該当なし（自動試験）"
MANUAL = "自動試験の対象外（目視で確認）"


def _tag(number: str) -> str:
    return "wcag" + number.replace(".", "")


@dataclass(frozen=True)
class CriterionResult:
    number: str
    name: str
    level: str
    result: str
    rules: list[str]
    violations: list[str]  # "page: rule (n)"


def conformance(results: Mapping[str, Mapping[str, Any]]) -> list[CriterionResult]:
    """One row per success criterion from axe-core's results, keyed by page name."""
    outcome: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    violations: dict[str, list[str]] = defaultdict(list)
    for page, result in results.items():
        for kind in ("violations", "incomplete", "passes", "inapplicable"):
            for rule in result.get(kind, []):
                for tag in rule.get("tags", []):
                    outcome[tag][kind].add(rule["id"])
                    if kind == "violations":
                        violations[tag].append(f"{page}: {rule['id']}（{len(rule['nodes'])}か所）")
    rows = []
    for number, name, level in CRITERIA:
        seen = outcome.get(_tag(number), {})
        rules = sorted(set().union(*seen.values())) if seen else []
        if seen.get("violations"):
            verdict = FAILED
        elif seen.get("incomplete"):
            verdict = REVIEW
        elif seen.get("passes"):
            verdict = PASSED
        elif seen.get("inapplicable"):
            verdict = NOT_APPLICABLE
        else:
            verdict = MANUAL
        rows.append(CriterionResult(number, name, level, verdict, rules, violations[_tag(number)]))
    return rows


def markdown(
    results: Mapping[str, Mapping[str, Any]],
    *,
    pages: Sequence[tuple[str, str]],
    axe_version: str,
    tested_on: str,
) -> str:
    """The report as Markdown: scope, method, the pages, the conformance table, what to check."""
    rows = conformance(results)
    total = sum(len(r.get("violations", [])) for r in results.values())
    lines = [
        "# JIS X 8341-3:2016 試験結果（保護者向けページ・適合レベルAA）",
        "",
        f"- 試験日: {tested_on}",
        f"- 試験の方法: axe-core {axe_version} を Chromium（Debian）で各ページに読み込み、"
        "WCAG 2.0 レベルA・AA のルール（タグ wcag2a, wcag2aa）で自動試験。幅390 px（スマートフォン）。",
        "- 試験の対象: 保護者が使うすべてのページ（下の一覧）",
        f"- 自動試験の違反: {total}件",
        "- この結果は `make test` のたびに tests/reports/test_accessibility.py が作り直します。"
        "違反が1件でもあればテストが失敗します。",
        "",
        "## 試験したページ",
        "",
        "| ページ | URL |",
        "|---|---|",
        *(f"| {name} | `{url}` |" for name, url in pages),
        "",
        "## 達成基準チェックリスト",
        "",
        "| 達成基準 | 名称 | レベル | 結果 | axe-core のルール |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        rules = ", ".join(row.rules) if row.rules else "—"
        lines.append(f"| {row.number} | {row.name} | {row.level} | {row.result} | {rules} |")
    lines += [
        "",
        "「自動試験の対象外」と「要確認」の達成基準は、自動試験では判定できないため、"
        "公開前に人が確認してください（キーボードだけでの操作、読み上げの順序、"
        "エラーメッセージのわかりやすさなど）。",
    ]
    failed = [row for row in rows if row.violations]
    if failed:
        lines += ["", "## 違反", ""]
        for row in failed:
            lines += [f"- {row.number} {row.name}: " + "、".join(row.violations)]
    return "\n".join(lines) + "\n"
