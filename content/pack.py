"""The content pack in the repository: Markdown files with front matter, one per text.

Pure parsing and checking; `content.services.load_pack` writes what this module reads.
The layout and rules are in content/packs/README.md.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import frontmatter

from .placeholders import unknown_placeholders
from .stages import DAYS_PER_WEEK, Stage, Track, Unit, child_month_label_ja, whole_months

PACKS_DIR = Path(__file__).resolve().parent / "packs"
LANGUAGES = ("ja", "en", "ja-easy", "zh-hans", "ko", "vi", "pt-br", "tl", "ne")
# Written in Japanese script: their subjects take the full-width colon and Japanese labels.
JAPANESE_SCRIPT_LANGUAGES = ("ja", "ja-easy")
AUDIENCES = ("everyone", "partner", "grandparent")
# "loss" is the general message after a loss; the three after it are chosen by the situation
# reported (content.selectors.loss_message_for) and fall back to it.
SPECIAL_KINDS = (
    "welcome",
    "birth",
    "loss",
    "loss-pregnancy",
    "loss-stillbirth",
    "loss-child",
    "graduation",
    "birth-check",
)
# The loss a parent reports (subscribers.Child.Loss) -> the message written for that situation.
LOSS_MESSAGE_KINDS = {
    "miscarriage": "loss-pregnancy",
    "stillbirth": "loss-stillbirth",
    "infant_death": "loss-child",
}


def is_loss_kind(kind: str | None) -> bool:
    """Whether a special message kind is one of the messages sent after a loss."""
    return kind == "loss" or (kind or "").startswith("loss-")


FRONT_MATTER_KEYS = {"subject", "medical_review"}
# Optional: the public sources the text's facts rest on, for the medical reviewer; and, written
# back by `manage.py write_reviews`, who approved which version (reviews.packfile) and when.
OPTIONAL_FRONT_MATTER_KEYS = {
    "facts",
    "reviewed_by",
    "reviewed_on",
    "review_version",
    "translation_review",  # a translation waits for a native speaker as well (issue 27)
}

_STAGE_FILE = re.compile(r"^(day|week|month)-(\d+)$")
_BIRTHDAY_FILE = re.compile(r"^age-(\d+)$")


@dataclass(frozen=True)
class LengthBudget:
    body_min: int
    body_max: int
    subject_max: int


# Characters of the Markdown body; see content/packs/README.md for why these numbers.
LENGTH_BUDGETS = {
    ("ja", "everyone"): LengthBudget(250, 1000, 40),
    ("ja", "daily"): LengthBudget(150, 450, 40),  # the steps between anchors: one phone screen
    ("ja", "variant"): LengthBudget(150, 700, 40),
    ("ja", "occasion"): LengthBudget(100, 1000, 40),
    ("en", "everyone"): LengthBudget(400, 2400, 90),
    ("en", "variant"): LengthBudget(300, 1600, 90),
    ("en", "occasion"): LengthBudget(300, 2400, 90),
    # The languages for foreign residents carry the base track (anchors, special messages,
    # birthdays) translated from the Japanese: budgets follow each script's length against
    # Japanese (やさしい日本語 spells more in kana and splits sentences; Chinese is about as dense
    # as Japanese; Korean spaces its words; the Latin and Devanagari scripts need 2–3 times the
    # characters), so that a text with the notices and footer stays below LINE's 5,000.
    ("ja-easy", "everyone"): LengthBudget(200, 1400, 40),
    ("ja-easy", "occasion"): LengthBudget(100, 1400, 40),
    ("zh-hans", "everyone"): LengthBudget(150, 1000, 40),
    ("zh-hans", "occasion"): LengthBudget(80, 1000, 40),
    ("ko", "everyone"): LengthBudget(200, 1500, 50),
    ("ko", "occasion"): LengthBudget(100, 1500, 50),
    ("vi", "everyone"): LengthBudget(400, 3000, 90),
    ("vi", "occasion"): LengthBudget(250, 3000, 90),
    ("pt-br", "everyone"): LengthBudget(400, 3000, 90),
    ("pt-br", "occasion"): LengthBudget(250, 3000, 90),
    ("tl", "everyone"): LengthBudget(400, 3200, 90),
    ("tl", "occasion"): LengthBudget(250, 3200, 90),
    ("ne", "everyone"): LengthBudget(300, 3000, 90),
    ("ne", "occasion"): LengthBudget(200, 3000, 90),
}
LINE_TEXT_LIMIT = 5000


@dataclass(frozen=True)
class PackText:
    """One file of the pack, parsed."""

    path: Path
    relative_path: str  # as shown to editors, e.g. content/packs/ja/pregnancy/week-20.md
    language: str
    kind: str  # "stage", "special" or "birthday"
    subject: str
    body: str
    medical_review: str
    audience: str = "everyone"
    stage: Stage | None = None
    special_kind: str = ""
    age_years: int = 0
    facts: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list, compare=False)

    @property
    def budget(self) -> LengthBudget:
        if self.kind != "stage":
            return LENGTH_BUDGETS[(self.language, "occasion")]
        from .programme import is_anchor  # the programme reads this module's labels

        group = "everyone" if self.audience == "everyone" else "variant"
        if (self.language, group) not in LENGTH_BUDGETS:
            group = "everyone"  # the languages for foreign residents have no partner variants
        if group == "everyone" and self.stage is not None and not is_anchor(self.stage):
            group = "daily" if (self.language, "daily") in LENGTH_BUDGETS else group
        return LENGTH_BUDGETS[(self.language, group)]


def stage_label(language: str, stage: Stage) -> str:
    """The words a subject must start with for ``stage`` (e.g. 妊娠20週, 1歳6か月, Week 20)."""
    if language in JAPANESE_SCRIPT_LANGUAGES:
        if stage.track == Track.PREGNANCY and stage.unit == Unit.DAY:
            return f"妊娠{stage.number // DAYS_PER_WEEK}週{stage.number % DAYS_PER_WEEK}日"
        if stage.track == Track.PREGNANCY:
            return f"妊娠{stage.number}週"
        if stage.unit == Unit.MONTH:
            return child_month_label_ja(stage.number)
        if stage.unit == Unit.WEEK and stage.number > WEEKS_COUNTED_AS_WEEKS:
            return child_week_label_ja(stage.number)
        return f"生後{stage.number}{'日' if stage.unit == Unit.DAY else '週'}"
    if language in STAGE_LABELS:
        return _translated_label(STAGE_LABELS[language], stage)
    if stage.track == Track.PREGNANCY and stage.unit == Unit.DAY:
        return f"Week {stage.number // DAYS_PER_WEEK} day {stage.number % DAYS_PER_WEEK}"
    if stage.track == Track.PREGNANCY:
        return f"Week {stage.number}"
    if stage.unit == Unit.DAY:
        return f"Day {stage.number}"
    if stage.unit == Unit.WEEK:
        return f"Week {stage.number} after birth"
    return _english_months(stage.number)


def subject_separator(language: str) -> str:
    """What follows the stage label in a subject: 「：」 in Japanese script, ": " elsewhere."""
    if language in JAPANESE_SCRIPT_LANGUAGES or language == "zh-hans":
        return "："
    return ": "


@dataclass(frozen=True)
class StageLabels:
    """How a language names the stages of the base track (anchors only), digits as 0-9."""

    pregnancy_week: str  # {n}
    child_day: str
    child_week: str
    under_a_year: str  # months before the first birthday: {n}
    years: str  # {n}
    months: str  # the months after whole years: {n}
    joiner: str = " "  # between years and months
    one_year: str = ""  # where 1 takes the singular
    one_month: str = ""


STAGE_LABELS = {
    "zh-hans": StageLabels(
        "孕{n}周", "出生第{n}天", "出生第{n}周", "{n}个月", "{n}岁", "{n}个月", joiner=""
    ),
    "ko": StageLabels("임신 {n}주", "생후 {n}일", "생후 {n}주", "생후 {n}개월", "{n}세", "{n}개월"),
    "vi": StageLabels(
        "Thai tuần {n}",
        "Ngày {n} sau sinh",
        "Tuần {n} sau sinh",
        "{n} tháng tuổi",
        "{n} tuổi",
        "{n} tháng",
    ),
    "pt-br": StageLabels(
        "Semana {n} de gestação",
        "Dia {n} de vida",
        "Semana {n} de vida",
        "{n} meses",
        "{n} anos",
        "{n} meses",
        joiner=" e ",
        one_year="1 ano",
        one_month="1 mês",
    ),
    "tl": StageLabels(
        "Ika-{n} linggo ng pagbubuntis",
        "Ika-{n} araw mula pagsilang",
        "Ika-{n} linggo mula pagsilang",
        "{n} buwan",
        "{n} taon",
        "{n} buwan",
        joiner=" at ",
    ),
    "ne": StageLabels(
        "गर्भावस्थाको {n} हप्ता",
        "जन्मपछिको {n} दिन",
        "जन्मपछिको {n} हप्ता",
        "{n} महिना",
        "{n} वर्ष",
        "{n} महिना",
    ),
}


def _translated_label(labels: StageLabels, stage: Stage) -> str:
    if stage.track == Track.PREGNANCY:
        return labels.pregnancy_week.format(n=stage.number)
    if stage.unit == Unit.DAY:
        return labels.child_day.format(n=stage.number)
    if stage.unit == Unit.WEEK:
        return labels.child_week.format(n=stage.number)
    years, months = divmod(stage.number, 12)
    month_part = (labels.one_month if months == 1 else "") or labels.months.format(n=months)
    if years == 0:
        return (labels.one_month if months == 1 else "") or labels.under_a_year.format(n=months)
    year_part = (labels.one_year if years == 1 else "") or labels.years.format(n=years)
    return year_part + labels.joiner + month_part if months else year_part


# 生後1〜3週 are said in weeks; a week text after the first birthday is named by the age in months
# that most children have on that day (weeks 53–56 are 1歳0か月ごろ).
WEEKS_COUNTED_AS_WEEKS = 3


@functools.cache
def child_week_label_ja(weeks: int) -> str:
    """``1歳3か月ごろ``: the month age most birth dates have on day ``7 × weeks``."""
    births = [date(2020, 1, 1) + timedelta(days=i) for i in range(4 * 366)]
    ages = Counter(whole_months(b, b + timedelta(days=DAYS_PER_WEEK * weeks)) for b in births)
    years, months = divmod(ages.most_common(1)[0][0], 12)
    return f"{years}歳{months}か月ごろ"


def _english_months(months: int) -> str:
    years, rest = divmod(months, 12)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    parts = ([plural(years, "year")] if years else []) + ([plural(rest, "month")] if rest else [])
    return " ".join(parts)


def iter_pack_files(language: str | None = None, root: Path = PACKS_DIR) -> list[Path]:
    languages = [language] if language else list(LANGUAGES)
    files: list[Path] = []
    for lang in languages:
        files.extend(sorted((root / lang).rglob("*.md")))
    return files


def read_text(path: Path, root: Path = PACKS_DIR) -> PackText:
    """Parse one pack file; what is wrong with it is listed in ``problems``, never raised."""
    relative = path.relative_to(root)
    shown = (Path(root.name) / relative).as_posix()
    if root == PACKS_DIR:
        shown = f"content/packs/{relative.as_posix()}"
    parts = relative.with_suffix("").parts
    problems: list[str] = []
    try:
        post = frontmatter.load(path)
    except Exception as error:
        return PackText(
            path, shown, parts[0], "invalid", "", "", "", problems=[f"front matter: {error}"]
        )
    metadata = dict(post.metadata)
    subject = str(metadata.get("subject", "")).strip()
    review = str(metadata.get("medical_review", ""))
    if not FRONT_MATTER_KEYS <= set(metadata) <= FRONT_MATTER_KEYS | OPTIONAL_FRONT_MATTER_KEYS:
        problems.append(
            f"front matter keys must be {sorted(FRONT_MATTER_KEYS)}"
            f" (and optionally {sorted(OPTIONAL_FRONT_MATTER_KEYS)}), not {sorted(metadata)}"
        )
    facts = metadata.get("facts", [])
    if not isinstance(facts, list) or not all(isinstance(f, str) and f.strip() for f in facts):
        problems.append("facts must be a list of sources, one non-empty line each")
        facts = []
    fields = {
        "path": path,
        "relative_path": shown,
        "language": parts[0],
        "subject": subject,
        "body": post.content.strip(),
        "medical_review": review,
        "facts": tuple(fact.strip() for fact in facts),
    }
    if parts[0] not in LANGUAGES:
        problems.append(f"unknown language folder {parts[0]!r}")

    rest = list(parts[1:])
    if rest[:1] == ["special"] and len(rest) == 2:
        if rest[1] not in SPECIAL_KINDS:
            problems.append(f"unknown special message {rest[1]!r}")
        text = PackText(kind="special", special_kind=rest[1], **fields)
    elif rest[:1] == ["birthday"] and len(rest) == 2 and _BIRTHDAY_FILE.match(rest[1]):
        age = int(_BIRTHDAY_FILE.match(rest[1]).group(1))
        text = PackText(kind="birthday", age_years=age, **fields)
    else:
        audience = "everyone"
        if rest and rest[0] in AUDIENCES[1:]:
            audience = rest.pop(0)
        stage = _stage_from_parts(rest)
        if stage is None:
            return PackText(kind="invalid", problems=[f"unexpected path {relative}"], **fields)
        text = PackText(kind="stage", audience=audience, stage=stage, **fields)
    problems.extend(check_text(text))
    return PackText(**{**text.__dict__, "problems": problems})


def _stage_from_parts(parts: list[str]) -> Stage | None:
    if len(parts) != 2 or parts[0] not in (Track.PREGNANCY, Track.CHILD):
        return None
    match = _STAGE_FILE.match(parts[1])
    if not match:
        return None
    try:
        return Stage(Track(parts[0]), Unit(match.group(1)), int(match.group(2)))
    except ValueError:
        return None


def check_text(text: PackText) -> list[str]:
    """Every rule of content/packs/README.md that ``text`` breaks, in plain words."""
    problems: list[str] = []
    budget = text.budget
    if text.medical_review != "pending" and text.medical_review != "done":
        problems.append("medical_review must be 'pending' (or 'done' once reviewed)")
    if not text.subject:
        problems.append("empty subject")
    elif len(text.subject) > budget.subject_max:
        problems.append(f"subject has {len(text.subject)} characters, over {budget.subject_max}")
    if text.stage is not None:
        label = stage_label(text.language, text.stage)
        separator = subject_separator(text.language)
        if not text.subject.startswith(label + separator):
            problems.append(f"subject must start with {label + separator!r}: {text.subject!r}")
    if not budget.body_min <= len(text.body) <= budget.body_max:
        problems.append(
            f"body has {len(text.body)} characters, outside {budget.body_min}–{budget.body_max}"
        )
    unknown = unknown_placeholders(text.subject + "\n" + text.body)
    if unknown:
        problems.append(f"unknown placeholders: {', '.join(unknown)}")
    problems.extend(markdown_problems(text.body))
    return problems


_SECTION = re.compile(r"^## \S", re.MULTILINE)


def markdown_problems(body: str) -> list[str]:
    """Markdown outside the small subset the renderers support, and empty sections."""
    problems = []
    lines = body.splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if re.match(r"^#(?!# )|^###", stripped):
            problems.append(f"line {number}: only '## ' headings are allowed")
        if re.search(r"<[a-zA-Z/!][^>]*>", line):
            problems.append(f"line {number}: raw HTML")
        if stripped.startswith("|"):
            problems.append(f"line {number}: tables are not allowed")
        if "![" in line:
            problems.append(f"line {number}: images are not allowed")
        if line.count("**") % 2:
            problems.append(f"line {number}: unbalanced ** emphasis")
        if re.search(r"\]\((?!https://)", line):
            problems.append(f"line {number}: links must be https://")
    if not _SECTION.search(body):
        problems.append("no '## ' section")
    sections = re.split(r"^## .*$", body, flags=re.MULTILINE)
    for index, section in enumerate(sections[1:], 1):
        if not section.strip():
            problems.append(f"section {index} is empty")
    return problems
