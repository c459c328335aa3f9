"""A generated pack for the daily programme: one valid file per stage of a programme.

Tests load it with ``content.services.load_pack(root=…)`` so that the engine's tests pass before
the real texts land. Bodies say which stage they are for and fit each file's length budget.
"""

from __future__ import annotations

from pathlib import Path

from content.pack import SPECIAL_KINDS, stage_label
from content.programme import FINEST, Programme, is_anchor
from content.stages import Stage


def _file(stage: Stage) -> str:
    return f"{stage.track.value}/{stage.unit.value}-{stage.number}.md"


def _write(path: Path, subject: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'---\nsubject: "{subject}"\nmedical_review: pending\n---\n{body}\n', encoding="utf-8"
    )


def write_daily_pack(
    root: Path, programme: Programme = FINEST, *, english_anchors: bool = True
) -> int:
    """Japanese texts for every stage of ``programme``, specials and birthdays 1–7; English texts
    for the anchors only (no daily English texts). Returns the number of files written."""
    count = 0
    for stage in programme.stages():
        size = 300 if is_anchor(stage) else 180
        body = f"## {stage.key}\n" + f"{stage.key}の文面です。" + "あ" * size
        _write(root / "ja" / _file(stage), f"{stage_label('ja', stage)}：テスト", body)
        count += 1
        if english_anchors and is_anchor(stage):
            body = f"## {stage.key}\n" + f"English text for {stage.key}. " + "a" * 420
            _write(root / "en" / _file(stage), f"{stage_label('en', stage)}: test", body)
            count += 1
    for kind in SPECIAL_KINDS:
        _write(
            root / "ja" / "special" / f"{kind}.md", f"special:{kind}", f"## {kind}\n" + "い" * 120
        )
        count += 1
    for age in range(1, 8):
        _write(
            root / "ja" / "birthday" / f"age-{age}.md",
            f"birthday:{age}",
            "## 誕生日\n" + "う" * 120,
        )
        count += 1
    return count
