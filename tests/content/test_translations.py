"""What a translation of the base track must keep from its Japanese source."""

from pathlib import Path

from content.translations import base_track_paths, check_language

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
