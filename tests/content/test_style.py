"""The Japanese pack's style sheet (content/packs/README.md, "Style sheet") holds in every text."""

import pytest

from content.pack import iter_pack_files, read_text
from content.stages import Stage, Track, Unit
from content.style import child_word_for, heading_problems, spelling_problems

JA = [read_text(path) for path in iter_pack_files("ja")]


@pytest.mark.parametrize("text", JA, ids=lambda t: t.relative_path)
def test_every_japanese_text_uses_the_pack_spelling(text):
    problems = spelling_problems(text.subject) + spelling_problems(text.body)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("text", JA, ids=lambda t: t.relative_path)
def test_every_japanese_text_follows_the_heading_convention(text):
    problems = heading_problems(
        text.body, stage=text.stage, special_kind=text.special_kind, age_years=text.age_years
    )
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize(
    ("variant", "write"),
    [
        ("お腹が張る", "おなか"),
        ("仰向けに寝かせる", "あおむけ"),
        ("子供の発熱", "子ども"),
        ("こども医療電話相談", "子ども"),
        ("体重は1,100グラム", "g／kg"),
        ("3キロほど", "g／kg"),
        ("35センチ", "cm／mm／mL"),
        ("120ml", "mL"),
        ("1100g", "1,100g"),
        ("38度以上の熱", "38℃"),
        ("37.5度", "38℃"),
        ("38 ℃", "38℃（数字と単位の間をあけない）"),
        ("生後3ヶ月", "か月"),
        ("１か月健診", "0〜9（半角）"),
        ("1～2日", "〜"),
        ("すぐ119に電話", "119番"),
        ("乳児検診", "健診"),
        ("保険証を持って", "マイナ保険証／資格確認書"),
        ("夫婦で話し合う", "ふたり／親"),
        ("お母さんの声", "出産したかた／パートナー／親"),
        ("よく分からない", "わかる"),
        ('"抱き癖"', "「」"),
    ],
)
def test_each_variant_is_named_with_what_to_write(variant, write):
    assert write in [problem.write for problem in spelling_problems(variant)]


@pytest.mark.parametrize(
    "fine",
    [
        "こども家庭センターや認定こども園、こども誰でも通園制度",
        "産後パパ育休とマイナ保険証",
        "ふたりで分かち合う、自分から、翌月分からの支給",
        "38℃以上、1,100g、35cm、120mL、2度目の接種、#8000、救急車（119番）",
        "子宮がん検診",
        "センチメンタルな気分",
        "[案内](https://example.jp/a~b)",
    ],
)
def test_proper_names_and_the_preferred_spellings_pass(fine):
    assert spelling_problems(fine) == []


@pytest.mark.parametrize(
    ("stage", "word"),
    [
        (Stage(Track.PREGNANCY, Unit.WEEK, 20), "赤ちゃん"),
        (Stage(Track.CHILD, Unit.DAY, 100), "赤ちゃん"),
        (Stage(Track.CHILD, Unit.MONTH, 11), "赤ちゃん"),
        (Stage(Track.CHILD, Unit.MONTH, 12), "子ども"),
        (Stage(Track.CHILD, Unit.DAY, 1000), "子ども"),
        (Stage(Track.CHILD, Unit.WEEK, 3), "赤ちゃん"),
        (Stage(Track.CHILD, Unit.WEEK, 53), "子ども"),  # weeks count in weeks, not days
    ],
)
def test_headings_say_baby_in_the_first_year_and_child_after(stage, word):
    assert child_word_for(stage) == word
    wrong = "子ども" if word == "赤ちゃん" else "赤ちゃん"
    [problem] = heading_problems(f"## {wrong}のようす\n本文", stage=stage)
    assert problem.write == f"{word}のようす"


@pytest.mark.parametrize(
    "heading", ["すぐに連絡を", "こんなときはすぐ病院へ", "気をつけたいサイン"]
)
def test_a_warning_section_has_the_one_warning_heading(heading):
    stage = Stage(Track.PREGNANCY, Unit.WEEK, 30)
    [problem] = heading_problems(f"## {heading}\n- 出血", stage=stage)
    assert problem.write == "すぐに受診を"
    assert heading_problems("## すぐに受診を\n- 出血", stage=stage) == []
