"""The Japanese pack's style sheet as checks: one spelling for each word families meet often.

content/packs/README.md ("Style sheet") states the same rules for writers; the tests in
tests/content/test_style.py hold every Japanese text to them, so a variant spelling fails
``make test`` whichever text brings it in. Pure functions: no Django, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .stages import Stage, Track, Unit

# Official names that keep their own spelling, whatever the rules below say of their parts.
PROPER_NAMES = (
    "こども家庭庁",
    "こども家庭センター",
    "こども誰でも通園制度",
    "認定こども園",
    "こども未来戦略",
    "こども基本法",
    "産後パパ育休",
    "パパ・ママ育休プラス",
    "マイナ保険証",
    "24時間子供SOSダイヤル",  # 文部科学省の窓口の正式名称
)


@dataclass(frozen=True)
class SpellingRule:
    variant: re.Pattern[str]
    write: str  # what the pack writes instead
    note: str  # why, in a few words, for the writer who meets the failure


def _rule(pattern: str, write: str, note: str) -> SpellingRule:
    return SpellingRule(re.compile(pattern), write, note)


# Katakana around a unit word means another word (センチメンタル); digits before it do not matter.
_NOT_KATAKANA_BEFORE = r"(?<![ァ-ヶー])"
_NOT_KATAKANA_AFTER = r"(?![ァ-ヶー])"

SPELLING_RULES: tuple[SpellingRule, ...] = (
    _rule(r"お腹|御腹", "おなか", "ひらがなで、やわらかく"),
    _rule(r"仰向け|仰むけ|あお向け", "あおむけ", "安全な寝かせ方の案内と同じ表記"),
    _rule(r"うつ伏せ|俯せ", "うつぶせ", "寝かせ方は「うつぶせ」「あおむけ」で対に"),
    _rule(r"子供", "子ども", "公用文と同じ表記"),
    _rule(r"こども", "子ども", "「こども家庭庁」など正式名称のときだけ「こども」"),
    _rule(
        r"(?<![\u4e00-\u9fff0-9])分か(?:ら|り|る|っ)",
        "わかる",
        "「わかる」はひらがな（「自分から」「翌月分から」「分かち合う」は別の言葉）",
    ),
    _rule(r"出来(?:る|ない|ます|ません|た|て)", "できる", "補助的な動詞はひらがな"),
    _rule(r"下さい", "ください", "補助的な動詞はひらがな"),
    _rule(r"頃", "ころ／ごろ", "時期を表す「ころ」「ごろ」はひらがな"),
    _rule(r"ヶ月|カ月|ヵ月|ケ月|箇月", "か月", "月齢の表記（生後3か月）に合わせる"),
    _rule(
        _NOT_KATAKANA_BEFORE + r"(?:グラム|キログラム|キロ(?!メートル))" + _NOT_KATAKANA_AFTER,
        "g／kg",
        "重さは数字と記号で（1,100g、3kg）",
    ),
    _rule(
        _NOT_KATAKANA_BEFORE + r"(?:センチ|ミリ)(?:メートル|リットル)?" + _NOT_KATAKANA_AFTER,
        "cm／mm／mL",
        "長さと量は数字と記号で（35cm、5mm、120mL）",
    ),
    _rule(r"\d\s*(?:ml|cc|ＭＬ|ｍｌ)", "mL", "量の単位はmL"),
    _rule(r"\d\s+(?:g|kg|cm|mm|mL|℃)(?![A-Za-z])", "38℃（数字と単位の間をあけない）", "詰めて書く"),
    _rule(r"\d{4,}\s*(?:g|kg)", "1,100g", "4けた以上の数には「,」"),
    _rule(
        r"(?<!\d)[34]\d(?:\.\d)?\s*(?:度|°C|°|℃\s)",
        "38℃",
        "体温・湯温は℃で（「1度」「2度」は回数）",
    ),
    _rule(r"[０-９]", "0〜9（半角）", "数字は半角"),
    _rule(r"[～~]", "〜", "範囲は「〜」（波ダッシュ）"),
    _rule(r"＃", "#8000", "電話番号の「#」は半角"),
    _rule(r"119(?!番)", "119番", "「救急車（119番）」「119番へ」"),
    _rule(r"(?<!がん)検診", "健診", "妊婦健診・乳幼児健診は「健診」（がん検診だけ「検診」）"),
    _rule(r"(?<!マイナ)保険証", "マイナ保険証／資格確認書", "紙の保険証は2024年12月で新規発行終了"),
    _rule(r"夫婦", "ふたり／親", "結婚や二人親を前提にしない"),
    _rule(
        r"お母さん|お父さん|ママ|パパ",
        "出産したかた／パートナー／親",
        "性別や家族の形を決めつけない",
    ),
    _rule(r"赤ん坊|あかちゃん", "赤ちゃん", "表記をそろえる"),
    _rule(r"[\"“”『』]", "「」", "引用は「」（「」の中の引用だけ『』）"),
)

WARNING_HEADING = "すぐに受診を"
# A heading that sends readers to a doctor or the hospital is the one warning heading.
_WARNING_WORDS = re.compile(r"受診|病院へ|救急|連絡を|気をつけたいサイン")
_BABY_SECTION_VARIANTS = re.compile(r"^(?:今週|今月|今日|このころ)の(?:赤ちゃん|子ども)$")
_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class StyleProblem:
    found: str
    write: str
    note: str

    def __str__(self) -> str:
        return f"「{self.found}」→「{self.write}」（{self.note}）"


def _without_proper_names(text: str) -> str:
    for name in PROPER_NAMES:
        text = text.replace(name, "〓" * len(name))
    return text


def _without_link_targets(text: str) -> str:
    return re.sub(r"\]\([^)]*\)", "]()", text)


def spelling_problems(text: str) -> list[StyleProblem]:
    """Each variant spelling in ``text`` (a Japanese subject or body), with what to write."""
    checked = _without_proper_names(_without_link_targets(text))
    problems = []
    for rule in SPELLING_RULES:
        for match in rule.variant.finditer(checked):
            problems.append(StyleProblem(match.group(0), rule.write, rule.note))
    return problems


def child_word_for(stage: Stage | None, special_kind: str = "", age_years: int = 0) -> str:
    """「赤ちゃん」 in pregnancy and the first year, 「子ども」 from the first birthday on.

    Returns "" where the text may use either (welcome, loss messages).
    """
    if age_years or special_kind == "graduation":
        return "子ども"
    if stage is None:
        return "赤ちゃん" if special_kind == "birth" else ""
    if stage.track == Track.PREGNANCY:
        return "赤ちゃん"
    if stage.unit == Unit.MONTH:
        return "赤ちゃん" if stage.number < 12 else "子ども"
    days = stage.number * (7 if stage.unit == Unit.WEEK else 1)
    return "赤ちゃん" if days < 365 else "子ども"


def heading_problems(
    body: str, *, stage: Stage | None, special_kind: str = "", age_years: int = 0
) -> list[StyleProblem]:
    """Headings off the convention: one warning heading, 赤ちゃん/子ども by the child's age."""
    problems = []
    word = child_word_for(stage, special_kind, age_years)
    other = {"赤ちゃん": "子ども", "子ども": "赤ちゃん"}.get(word, "")
    for heading in _HEADING.findall(body):
        plain = _without_proper_names(heading)
        if _WARNING_WORDS.search(plain) and heading != WARNING_HEADING:
            problems.append(
                StyleProblem(heading, WARNING_HEADING, "受診をすすめる節の見出しはひとつ")
            )
        if _BABY_SECTION_VARIANTS.match(heading):
            problems.append(
                StyleProblem(heading, f"{word or '赤ちゃん'}のようす", "子どもの節の見出し")
            )
        if other and other in plain:
            problems.append(
                StyleProblem(
                    heading,
                    heading.replace(other, word),
                    "見出しは1歳の誕生日までが「赤ちゃん」、それからは「子ども」",
                )
            )
    return problems
