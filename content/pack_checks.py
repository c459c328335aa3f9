"""Checks of the whole pack that a padded or careless pack cannot pass (run by ``make test``).

Pure functions over parsed :class:`content.pack.PackText`: every promised step has a Japanese
text, the stage words in a text agree with its stage, no two texts of a track are near-copies
(character 5-gram Jaccard), readability within a band (jreadability), no frightening or blaming
phrase, the daily texts' length budget. Placeholders and Markdown are checked per file by
:func:`content.pack.check_text`. ``manage.py pack_report`` prints the distributions.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .pack import PackText, stage_label
from .programme import FINEST, Programme, is_anchor
from .stages import Stage, Track

# Daily texts (every stage between the original weekly and monthly anchors) fit one phone screen.
DAILY_BODY_MIN, DAILY_BODY_MAX = 150, 450
# jreadability: 2.5–3.5 上級前半, 3.5–4.5 中級後半, 4.5–5.5 中級前半 (higher is easier). The
# original anchors measure 1.7–4.6 (median 3.35): they are held to a floor only.
READABILITY_BAND_DAILY = (2.5, 5.5)
READABILITY_FLOOR_ANCHOR = 1.5
JACCARD_FAIL = 0.5
NGRAM = 5

# Words that frighten or blame a tired parent; none may appear in a text (subject or body).
FRIGHTENING_OR_BLAMING = (
    "あなたのせいで", "母親失格", "親失格", "失格", "甘え", "怠け", "手遅れ", "取り返しがつかない",
    "取り返しのつかない", "障害が残", "死んでしまう", "命を落と", "最悪の場合", "絶対に",
    "必ず〜しなければ", "しなければなりません", "してはいけません", "すべきです", "べきです",
    "当然です", "普通は", "普通なら", "みんなできる", "みんなやっている", "頑張って", "がんばって",
    "頑張りましょう", "がんばりましょう", "我慢", "ダメな", "だめな親", "なぜできない", "恐ろしい",
    "怖い病気", "危険です！", "！！", "!!",
)  # fmt: skip

_STAGE_WORDS = re.compile(
    r"今日[では](妊娠\d+週\d+日|妊娠\d+週|生後\d+日|生後\d+週|生後\d+か月|\d+歳\d+か月|\d+歳)"
)


def is_daily(text: PackText) -> bool:
    """A Japanese text for everyone at a step between the anchors (the daily programme's)."""
    return (
        text.kind == "stage"
        and text.language == "ja"
        and text.audience == "everyone"
        and text.stage is not None
        and not is_anchor(text.stage)
    )


def is_new_in_daily_programme(text: PackText) -> bool:
    """The texts written for the daily programme: the steps, months after 3 years, birthdays 4–7.

    The original anchors were reviewed before this list existed and use some of its words to
    reassure (「あなたのせいではありません」「疲れて当然です」「絶対に揺さぶらないで」).
    """
    if text.language != "ja" or text.audience != "everyone":
        return False
    if text.kind == "birthday":
        return text.age_years > 3
    return is_daily(text) or (
        text.stage is not None and text.stage.unit.value == "month" and text.stage.number > 36
    )


def phrase_problems(text: PackText) -> list[str]:
    if not is_new_in_daily_programme(text):
        return []
    words = text.subject + "\n" + text.body
    return [f"frightening or blaming phrase 「{p}」" for p in FRIGHTENING_OR_BLAMING if p in words]


def stage_word_problems(text: PackText) -> list[str]:
    """A phrase naming today's stage (今日で妊娠20週3日) must name the text's own stage."""
    if text.stage is None or text.language != "ja":
        return []
    label = stage_label("ja", text.stage).removesuffix("ごろ")
    return [
        f"「{match.group(0)}」 does not match the stage {label}"
        for match in _STAGE_WORDS.finditer(text.body)
        if match.group(1) != label and not _same_stage_in_other_words(text.stage, match.group(1))
    ]


def _same_stage_in_other_words(stage: Stage, words: str) -> bool:
    """妊娠20週 on 20週0日, 1歳 on 12か月: the same day said more simply."""
    if stage.track == Track.PREGNANCY and stage.unit.value == "day":
        return stage.number % 7 == 0 and words == f"妊娠{stage.number // 7}週"
    return False


def length_problems(text: PackText) -> list[str]:
    if not is_daily(text):
        return []
    if DAILY_BODY_MIN <= len(text.body) <= DAILY_BODY_MAX:
        return []
    return [
        f"daily body has {len(text.body)} characters, outside {DAILY_BODY_MIN}–{DAILY_BODY_MAX}"
    ]


def plain_text(body: str) -> str:
    """The words a reader reads: placeholders as a short noun, no Markdown marks."""
    plain = re.sub(r"\{\{[^}]*\}\}", "市", body)
    return re.sub(r"^#+ |^- |\*\*", "", plain, flags=re.MULTILINE)


def readability(text: PackText) -> float:
    from jreadability import compute_readability  # imported here: it loads a dictionary

    return float(compute_readability(plain_text(text.body)))


def readability_problems(text: PackText, score: float) -> list[str]:
    if text.language != "ja" or text.kind != "stage" or text.audience != "everyone":
        return []
    low, high = READABILITY_BAND_DAILY if is_daily(text) else (READABILITY_FLOOR_ANCHOR, 99.0)
    if low <= score <= high:
        return []
    return [f"readability {score:.2f} outside {low}–{high if high < 99 else ''}"]


def ngrams(body: str, n: int = NGRAM) -> frozenset[str]:
    plain = re.sub(r"\s+", "", plain_text(body))
    return frozenset(plain[i : i + n] for i in range(len(plain) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(frozen=True)
class Nearest:
    path: str
    other: str
    jaccard: float


def nearest_texts(texts: Sequence[PackText]) -> list[Nearest]:
    """For each Japanese stage text for everyone, its most similar text of the same track."""
    ja = [t for t in texts if t.language == "ja" and t.kind == "stage" and t.stage is not None]
    ja = [t for t in ja if t.audience == "everyone"]
    grams = [ngrams(t.body) for t in ja]
    # An inverted index of 5-grams: only texts that share one are compared (700 texts, fast).
    index: dict[tuple[str, str], list[int]] = {}
    for i, (text, own) in enumerate(zip(ja, grams, strict=True)):
        for gram in own:
            index.setdefault((text.stage.track.value, gram), []).append(i)  # type: ignore[union-attr]
    nearest = []
    for i, (text, own) in enumerate(zip(ja, grams, strict=True)):
        shared: dict[int, int] = {}
        for gram in own:
            for j in index[(text.stage.track.value, gram)]:  # type: ignore[union-attr]
                if j != i:
                    shared[j] = shared.get(j, 0) + 1
        best, best_j = 0.0, -1
        for j, common in shared.items():
            score = common / (len(own) + len(grams[j]) - common)
            if score > best:
                best, best_j = score, j
        other = ja[best_j].relative_path if best_j >= 0 else ""
        nearest.append(Nearest(text.relative_path, other, best))
    return nearest


def near_copy_problems(nearest: Iterable[Nearest]) -> list[str]:
    return [
        f"{n.path}: near-copy of {n.other} (5-gram Jaccard {n.jaccard:.2f} > {JACCARD_FAIL})"
        for n in nearest
        if n.jaccard > JACCARD_FAIL
    ]


def missing_steps(texts: Iterable[PackText], programme: Programme = FINEST) -> list[Stage]:
    """Stages of the programme (the finest, to the longest end) without a Japanese text."""
    written = {
        t.stage
        for t in texts
        if t.kind == "stage" and t.language == "ja" and t.audience == "everyone" and t.stage
    }
    return [stage for stage in programme.stages() if stage not in written]


def missing_birthdays(texts: Iterable[PackText], programme: Programme = FINEST) -> list[int]:
    written = {t.age_years for t in texts if t.kind == "birthday" and t.language == "ja"}
    return [age for age in programme.birthday_ages() if age not in written]


def text_problems(text: PackText, score: float | None = None) -> list[str]:
    """Every per-text rule of this module (the per-file rules are content.pack.check_text's)."""
    problems = phrase_problems(text) + stage_word_problems(text) + length_problems(text)
    if score is not None:
        problems += readability_problems(text, score)
    return problems


def distribution(values: Sequence[float]) -> str:
    """min, 5th percentile, median, 95th percentile and max, for the report."""
    if not values:
        return "none"
    q = statistics.quantiles(values, n=20) if len(values) > 1 else list(values) * 19
    return (
        f"n {len(values)} min {min(values):.2f} p5 {q[0]:.2f} median"
        f" {statistics.median(values):.2f} p95 {q[-1]:.2f} max {max(values):.2f}"
    )
