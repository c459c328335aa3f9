"""What a translation of the base track must keep from its Japanese source."""

from pathlib import Path

import pytest

from content.pack import PACKS_DIR
from content.translations import (
    FOREIGN_RESIDENT_LANGUAGES,
    base_track_paths,
    check_language,
    languages_present,
    readability_problems,
)

JAPANESE = """---
subject: 妊娠20週：折り返し地点
medical_review: pending
---
## 赤ちゃんのようす
{{ municipality }}の両親学級は[こちら](https://example.jp/class)。出血があれば病院に電話を。
救急車（119番）、夜の子どもの相談は#8000、よりそいホットライン（0120-279-338）。
"""

VIETNAMESE = """---
subject: "Thai tuần 20: Nửa chặng đường"
medical_review: pending
translation_review: pending
---
## Em bé của bạn
Lớp tiền sản của {{ municipality }} ở [đây](https://example.jp/class). Nếu bị chảy máu, hãy gọi bệnh viện.
Xe cấp cứu (119), tư vấn ban đêm #8000, đường dây 24 giờ (0120-279-338), sổ tay (母子健康手帳).

## Cơ thể và cảm xúc
Đỉnh tử cung đã lên gần ngang rốn. Bạn có thể cảm nhận cử động của em bé rõ hơn. Ợ nóng, nghẹt
mũi và ăn ngon miệng hơn đều là những điều thường gặp vào lúc này. Hãy nghỉ ngơi khi mệt.
"""


def _pack(tmp_path: Path, vietnamese: str) -> Path:
    for language, text in (("ja", JAPANESE), ("vi", vietnamese)):
        path = tmp_path / language / "pregnancy" / "week-20.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def _problems(tmp_path: Path, vietnamese: str) -> list[str]:
    report = check_language("vi", _pack(tmp_path, vietnamese))
    return report.problems.get("pregnancy/week-20.md", [])


def test_the_base_track_is_102_texts():
    paths = base_track_paths()
    assert len(paths) == len(set(paths)) == 102


def test_a_faithful_translation_passes_and_the_rest_is_missing(tmp_path):
    report = check_language("vi", _pack(tmp_path, VIETNAMESE))
    assert report.problems == {}
    assert len(report.missing) == 101 and "pregnancy/week-20.md" not in report.missing


def test_a_lost_placeholder_link_or_number_is_reported(tmp_path):
    broken = (
        VIETNAMESE.replace("{{ municipality }}", "thành phố")
        .replace("(https://example.jp/class)", "(https://example.jp/other)")
        .replace("#8000", "")
    )
    problems = " | ".join(_problems(tmp_path, broken))
    assert "placeholders" in problems
    assert "https://example.jp/class" in problems
    assert "#8000" in problems


def test_japanese_left_outside_brackets_is_reported(tmp_path):
    problems = _problems(tmp_path, VIETNAMESE.replace("Nếu bị chảy máu", "出血があれば"))
    assert any("Japanese outside brackets" in p and "出血があれば" in p for p in problems)


def test_the_subject_must_carry_the_languages_own_stage_label(tmp_path):
    problems = _problems(tmp_path, VIETNAMESE.replace("Thai tuần 20: ", "Tuần 20: "))
    assert any("subject must start with 'Thai tuần 20: '" in p for p in problems)


# Checks of the real pack (make test): a language folder that exists must be complete and
# clean; a language without a folder yet is not promised. Parametrized over every language so
# that none is ever skipped: an absent one passes by having nothing to check.
@pytest.mark.parametrize("language", FOREIGN_RESIDENT_LANGUAGES)
def test_each_language_in_the_pack_is_complete_and_keeps_what_families_act_on(language):
    if language not in languages_present():
        assert not (PACKS_DIR / language).exists()
        return
    report = check_language(language)
    assert report.missing == []
    assert {path: found[:3] for path, found in report.problems.items()} == {}


def test_every_easy_japanese_text_is_within_the_readability_band():
    assert readability_problems() == {}


def test_a_hard_easy_japanese_text_is_reported(tmp_path):
    hard = (
        "---\nsubject: 妊娠20週：テスト\nmedical_review: pending\n---\n"
        "## 妊娠中期\n妊娠中期における母体の循環血液量増加に伴う生理的貧血の顕在化に留意し、"
        "定期的な妊婦健康診査の受診により早期発見と適切な治療介入を図ることが肝要である。\n"
    )
    path = tmp_path / "ja-easy" / "pregnancy" / "week-20.md"
    path.parent.mkdir(parents=True)
    path.write_text(hard, encoding="utf-8")
    assert list(readability_problems(tmp_path)) == ["pregnancy/week-20.md"]
    assert languages_present(tmp_path) == ["ja-easy"]
