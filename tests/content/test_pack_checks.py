"""The pack's checks (content.pack_checks): what each catches, and the real pack passing them."""

from pathlib import Path

from content import pack_checks
from content.pack import SPECIAL_KINDS, iter_pack_files, read_text
from content.programme import FINEST, LONGEST_PROGRAMME_MONTHS, Programme
from content.stages import Stage, Track, Unit

DAILY_BODY = (
    "## からだのようす\n"
    "おなかの張りを感じたら、座って深呼吸をしてみましょう。少し休むと落ち着くことが多いです。"
    "気になることがあれば、次の妊婦健診でメモを見ながら聞いてみてください。"
    "{{ municipality }}の保健センターでも相談できます。\n\n"
    "**今日やること**：横になれる時間を10分だけつくってみましょう。"
    "家の人に家事をひとつお願いするのもよい方法です。あなたのペースで過ごしてください。"
)


def write(root: Path, relative: str, subject: str, body: str = DAILY_BODY) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\nsubject: {subject}\nmedical_review: pending\n---\n{body}\n")
    return path


def text(root: Path, relative: str, subject: str, body: str = DAILY_BODY):
    return read_text(write(root, relative, subject, body), root=root)


def test_a_daily_text_has_its_own_budget_and_label(tmp_path):
    good = text(tmp_path, "ja/pregnancy/day-143.md", "妊娠20週3日：少し休む")
    assert good.problems == [] and pack_checks.text_problems(good) == []
    wrong_label = text(tmp_path, "ja/pregnancy/day-144.md", "妊娠20週3日：少し休む")
    assert any("妊娠20週4日：" in p for p in wrong_label.problems)
    long = text(tmp_path, "ja/child/day-50.md", "生後50日：長い", DAILY_BODY * 3)
    assert any("outside 150–450" in p for p in long.problems)
    week = text(tmp_path, "ja/child/week-60.md", "1歳1か月ごろ：歩く")
    assert week.problems == []


def test_frightening_and_blaming_phrases_fail_in_new_texts(tmp_path):
    scary = text(tmp_path, "ja/child/day-40.md", "生後40日：手遅れ", DAILY_BODY + "頑張って")
    assert pack_checks.phrase_problems(scary) == [
        "frightening or blaming phrase 「手遅れ」",
        "frightening or blaming phrase 「頑張って」",
    ]


def test_the_stage_named_after_today_must_be_the_texts_own(tmp_path):
    body = DAILY_BODY + "\n\n今日で妊娠20週4日です。"
    wrong = text(tmp_path, "ja/pregnancy/day-143.md", "妊娠20週3日：少し休む", body)
    assert pack_checks.stage_word_problems(wrong) == [
        "「今日で妊娠20週4日」 does not match the stage 妊娠20週3日"
    ]
    right = text(tmp_path, "ja/pregnancy/day-144.md", "妊娠20週4日：少し休む", body)
    assert pack_checks.stage_word_problems(right) == []
    week = text(
        tmp_path, "ja/child/week-60.md", "1歳1か月ごろ：歩く", DAILY_BODY + "今日は1歳1か月"
    )
    assert pack_checks.stage_word_problems(week) == []


def test_near_copies_are_found_and_distinct_texts_pass(tmp_path):
    first = text(tmp_path, "ja/child/day-40.md", "生後40日：a")
    copy = text(tmp_path, "ja/child/day-41.md", "生後41日：b", DAILY_BODY.replace("10分", "15分"))
    other = text(
        tmp_path,
        "ja/child/day-42.md",
        "生後42日：c",
        "## 赤ちゃんのようす\n"
        + "手足をよく動かし、声を出して笑うような表情が見られるころです。" * 4,
    )
    nearest = {n.path: n for n in pack_checks.nearest_texts([first, copy, other])}
    assert nearest[first.relative_path].other == copy.relative_path
    assert len(pack_checks.near_copy_problems(nearest.values())) == 2
    assert nearest[other.relative_path].jaccard < 0.2


def test_readability_band_for_daily_texts(tmp_path):
    easy = text(tmp_path, "ja/child/day-40.md", "生後40日：a")
    score = pack_checks.readability(easy)
    assert 2.5 <= score <= 5.5
    hard_body = (
        "## 医学的背景\n"
        + (
            "妊娠高血圧症候群は胎盤形成不全に起因する血管内皮機能障害を基盤とし、"
            "母体臓器障害及び胎児発育不全を惹起する症候群と定義される。"
        )
        * 3
    )
    hard = text(tmp_path, "ja/child/day-41.md", "生後41日：b", hard_body)
    assert pack_checks.readability_problems(hard, pack_checks.readability(hard))


def test_every_promised_step_is_listed_and_a_missing_one_is_named(tmp_path):
    stages = FINEST.stages()
    assert len(stages) == 630  # 543 new steps and months, 87 anchors
    assert Stage(Track.PREGNANCY, Unit.DAY, 293) in stages
    assert Stage(Track.CHILD, Unit.MONTH, LONGEST_PROGRAMME_MONTHS) in stages
    written = [text(tmp_path, "ja/pregnancy/day-143.md", "妊娠20週3日：少し休む")]
    missing = pack_checks.missing_steps(written, Programme(pregnancy="daily"))
    assert Stage(Track.PREGNANCY, Unit.DAY, 143) not in missing
    assert Stage(Track.PREGNANCY, Unit.DAY, 144) in missing


def test_the_pack_in_the_repository_passes_every_check():
    texts = [read_text(path) for path in iter_pack_files()]
    nearest = pack_checks.nearest_texts(texts)
    scored = [
        (t, pack_checks.readability(t))
        for t in texts
        if t.language == "ja" and t.kind == "stage" and t.audience == "everyone"
    ]
    problems = [f"{t.relative_path}: {p}" for t in texts for p in t.problems]
    problems += [
        f"{t.relative_path}: {p}" for t, s in scored for p in pack_checks.text_problems(t, s)
    ]
    problems += pack_checks.near_copy_problems(nearest)
    print(
        "5-gram Jaccard (nearest of each ja text):",
        pack_checks.distribution([n.jaccard for n in nearest]),
    )
    print("readability (ja, everyone):", pack_checks.distribution([s for _, s in scored]))
    assert problems == []


def test_week_labels_after_the_first_birthday():
    assert pack_checks.stage_label("ja", Stage(Track.CHILD, Unit.WEEK, 53)) == "1歳0か月ごろ"
    assert pack_checks.stage_label("ja", Stage(Track.CHILD, Unit.WEEK, 104)) == "1歳11か月ごろ"


def test_load_content_loads_a_whole_daily_pack_idempotently_in_seconds(tmp_path, db):
    import time

    from content.models import StageMessage
    from content.services import load_pack
    from tests.content.daily_pack import write_daily_pack

    files = write_daily_pack(tmp_path)
    assert files > 700
    started = time.monotonic()
    first = load_pack(root=tmp_path)
    loaded_in = time.monotonic() - started
    started = time.monotonic()
    again = load_pack(root=tmp_path)
    again_in = time.monotonic() - started
    print(f"load_content: {files} files in {loaded_in:.2f}s, again in {again_in:.2f}s")
    assert (first.created, first.updated, first.unchanged) == (files, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, files)
    assert StageMessage.objects.count() == files - len(SPECIAL_KINDS) - 7
    assert StageMessage.history.count() == StageMessage.objects.count()
    assert loaded_in < 10 and again_in < 5
