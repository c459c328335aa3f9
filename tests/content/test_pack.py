"""The content pack in the repository: complete, well-formed, and loaded idempotently."""

import time

import pytest
from django.core.management import call_command

from content.models import BirthdayMessage, SpecialMessage, StageMessage
from content.pack import (
    LINE_TEXT_LIMIT,
    SPECIAL_KINDS,
    iter_pack_files,
    markdown_problems,
    read_text,
    stage_label,
)
from content.placeholders import KNOWN_PLACEHOLDERS, placeholders_in
from content.programme import ALL_PROGRAMME_STAGES
from content.services import PackError, load_pack
from content.stages import Stage, Track, Unit

PREGNANCY_WEEKS = [Stage(Track.PREGNANCY, Unit.WEEK, n) for n in range(4, 43)]
CHILD_STAGES = (
    [Stage(Track.CHILD, Unit.DAY, n) for n in range(7)]
    + [Stage(Track.CHILD, Unit.WEEK, n) for n in range(1, 4)]
    + [Stage(Track.CHILD, Unit.MONTH, n) for n in range(1, 37)]
    + [Stage(Track.CHILD, Unit.DAY, 100), Stage(Track.CHILD, Unit.DAY, 1000)]
)
PARTNER_CHILD_STAGES = [s for s in CHILD_STAGES if s.unit != Unit.MONTH or s.number <= 12]
PARTNER_CHILD_STAGES = [s for s in PARTNER_CHILD_STAGES if s.number not in (100, 1000)]
GRANDPARENT_STAGES = [
    Stage(Track.PREGNANCY, Unit.WEEK, n) for n in (12, 24, 36)
] + [Stage(Track.CHILD, Unit.DAY, 0)] + [
    Stage(Track.CHILD, Unit.MONTH, n) for n in (1, 2, 4, 6, 9, 12, 18, 24)
]  # fmt: skip

# What the programme promises (content/packs/README.md): (language, audience) -> stages.
PROMISED = {
    ("ja", "everyone"): PREGNANCY_WEEKS + CHILD_STAGES,
    ("en", "everyone"): PREGNANCY_WEEKS + CHILD_STAGES,
    ("ja", "partner"): PREGNANCY_WEEKS + PARTNER_CHILD_STAGES,
    ("ja", "grandparent"): GRANDPARENT_STAGES,
}

TEXTS = [read_text(path) for path in iter_pack_files()]


def _stages(language, audience):
    return {
        t.stage
        for t in TEXTS
        if t.kind == "stage" and (t.language, t.audience) == (language, audience)
    }


@pytest.mark.parametrize(("language", "audience"), sorted(PROMISED))
def test_every_promised_stage_has_a_message(language, audience):
    missing = sorted(set(PROMISED[(language, audience)]) - _stages(language, audience))
    assert not missing, [s.key for s in missing]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_special_and_default_birthday_message_exists(language):
    specials = {t.special_kind for t in TEXTS if t.kind == "special" and t.language == language}
    birthdays = {t.age_years for t in TEXTS if t.kind == "birthday" and t.language == language}
    assert specials == set(SPECIAL_KINDS)
    # Japanese to 7 (a programme may run to the end of 小学1年生); English to the 3rd birthday.
    assert birthdays == ({1, 2, 3, 4, 5, 6, 7} if language == "ja" else {1, 2, 3})


@pytest.mark.parametrize("text", TEXTS, ids=lambda t: t.relative_path)
def test_each_file_follows_the_pack_rules(text):
    """Front matter, stage label in the subject, length budget, placeholders, Markdown subset."""
    assert text.kind in ("stage", "special", "birthday")
    assert text.problems == []
    assert text.medical_review == "pending"
    assert len(text.subject) + len(text.body) < LINE_TEXT_LIMIT
    assert all(name in KNOWN_PLACEHOLDERS for name in placeholders_in(text.body))


def test_no_stray_files_and_no_stage_outside_the_programme():
    for text in TEXTS:
        if text.stage is None:
            continue
        if text.stage.track == Track.PREGNANCY and text.stage.unit == Unit.WEEK:
            assert 4 <= text.stage.number <= 42
        else:
            assert text.stage in ALL_PROGRAMME_STAGES, text.relative_path


@pytest.mark.parametrize(
    ("language", "stage", "label"),
    [
        ("ja", Stage(Track.PREGNANCY, Unit.WEEK, 20), "妊娠20週"),
        ("ja", Stage(Track.CHILD, Unit.DAY, 100), "生後100日"),
        ("ja", Stage(Track.CHILD, Unit.WEEK, 2), "生後2週"),
        ("ja", Stage(Track.CHILD, Unit.MONTH, 4), "生後4か月"),
        ("ja", Stage(Track.CHILD, Unit.MONTH, 18), "1歳6か月"),
        ("ja", Stage(Track.CHILD, Unit.MONTH, 24), "2歳"),
        ("en", Stage(Track.CHILD, Unit.MONTH, 1), "1 month"),
        ("en", Stage(Track.CHILD, Unit.MONTH, 13), "1 year 1 month"),
        ("en", Stage(Track.CHILD, Unit.MONTH, 26), "2 years 2 months"),
        ("en", Stage(Track.CHILD, Unit.WEEK, 3), "Week 3 after birth"),
        ("ja-easy", Stage(Track.CHILD, Unit.MONTH, 18), "1歳6か月"),
        ("zh-hans", Stage(Track.PREGNANCY, Unit.WEEK, 20), "孕20周"),
        ("zh-hans", Stage(Track.CHILD, Unit.MONTH, 18), "1岁6个月"),
        ("ko", Stage(Track.CHILD, Unit.MONTH, 4), "생후 4개월"),
        ("vi", Stage(Track.CHILD, Unit.DAY, 100), "Ngày 100 sau sinh"),
        ("pt-br", Stage(Track.CHILD, Unit.MONTH, 1), "1 mês"),
        ("pt-br", Stage(Track.CHILD, Unit.MONTH, 13), "1 ano e 1 mês"),
        ("pt-br", Stage(Track.CHILD, Unit.MONTH, 26), "2 anos e 2 meses"),
        ("tl", Stage(Track.CHILD, Unit.MONTH, 18), "1 taon at 6 buwan"),
        ("ne", Stage(Track.CHILD, Unit.WEEK, 2), "जन्मपछिको 2 हप्ता"),
    ],
)
def test_stage_labels(language, stage, label):
    assert stage_label(language, stage) == label


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("## 見出し\n", "section 1 is empty"),
        ("## A\n本文\n## B\n", "section 2 is empty"),
        ("# 大見出し\n本文", "only '## ' headings"),
        ("## A\n<script>alert(1)</script>", "raw HTML"),
        ("## A\n| a | b |", "tables"),
        ("## A\n**太字", "unbalanced"),
        ("## A\n[link](javascript:alert(1))", "https://"),
        ("本文だけ", "no '## ' section"),
    ],
)
def test_markdown_checks_catch_broken_texts(body, problem):
    assert any(problem in found for found in markdown_problems(body))


@pytest.mark.django_db
def test_load_content_twice_changes_nothing_and_is_fast(capsys):
    started = time.monotonic()
    call_command("load_content")
    elapsed = time.monotonic() - started
    counts = (StageMessage.objects.count(), SpecialMessage.objects.count())
    assert counts[0] == sum(1 for t in TEXTS if t.kind == "stage")
    assert elapsed < 30
    capsys.readouterr()

    call_command("load_content")
    out = capsys.readouterr().out
    assert f"変更なし {len(TEXTS)} 件" in out
    assert (StageMessage.objects.count(), SpecialMessage.objects.count()) == counts
    assert BirthdayMessage.objects.filter(municipality=None).count() == sum(
        1 for t in TEXTS if t.kind == "birthday"
    )
    assert not StageMessage.objects.filter(needs_medical_review=False).exists()


@pytest.mark.django_db
def test_a_changed_file_updates_its_row_in_place():
    load_pack(language="ja")
    message = StageMessage.objects.get(
        track="pregnancy", unit="week", number=20, audience="everyone", language="ja"
    )
    original_id = message.pk
    message.body = "古い本文"
    message.save()
    result = load_pack(language="ja")
    assert (result.updated, result.created) == (1, 0)
    message.refresh_from_db()
    assert message.pk == original_id
    assert message.body != "古い本文"


@pytest.mark.django_db
def test_a_broken_file_stops_the_load_before_anything_is_written(tmp_path):
    broken = tmp_path / "ja" / "pregnancy"
    broken.mkdir(parents=True)
    (broken / "week-20.md").write_text(
        "---\nsubject: 妊娠21週：違う週\nmedical_review: pending\n---\n## A\n{{ nick }}\n",
        encoding="utf-8",
    )
    (broken / "week-21.md").write_text(
        "---\nsubject: 妊娠21週：正しい\nmedical_review: pending\n---\n## A\n" + "あ" * 300,
        encoding="utf-8",
    )
    with pytest.raises(PackError) as error:
        load_pack(language="ja", root=tmp_path)
    problems = "\n".join(error.value.problems)
    assert "subject must start with '妊娠20週：'" in problems
    assert "unknown placeholders: nick" in problems
    assert StageMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("front_matter", "problem"),
    [
        ("facts: 厚生労働省のページ\n", "facts must be a list"),
        ("facts:\n  - ''\n", "facts must be a list"),
        ("sources:\n  - 厚生労働省\n", "front matter keys"),
    ],
)
def test_facts_are_an_optional_list_of_sources(tmp_path, front_matter, problem):
    path = tmp_path / "ja" / "pregnancy" / "week-20.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "---\nsubject: 妊娠20週：件名\nmedical_review: pending\n"
        + front_matter
        + "---\n## A\n"
        + "あ" * 300,
        encoding="utf-8",
    )
    assert any(problem in found for found in read_text(path, root=tmp_path).problems)


def test_a_text_with_facts_lists_them_for_the_reviewer(tmp_path):
    path = tmp_path / "ja" / "pregnancy" / "week-20.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "---\nsubject: 妊娠20週：件名\nmedical_review: pending\nfacts:\n"
        "  - 厚生労働省 定期接種\n  - 要確認：数値\n---\n## A\n" + "あ" * 300,
        encoding="utf-8",
    )
    text = read_text(path, root=tmp_path)
    assert text.problems == []
    assert text.facts == ("厚生労働省 定期接種", "要確認：数値")
