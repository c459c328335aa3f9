"""Writing approvals back to the pack's front matter, so that a reviewed change shows in a diff.

Only the review keys of the front matter are rewritten (``medical_review``, ``reviewed_by``,
``reviewed_on``, ``review_version``); the subject, the ``facts:`` and the body stay byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from content.pack import PACKS_DIR
from kizuna import clock

from .models import Decision, TextVersion

REVIEW_KEYS = ("medical_review", "reviewed_by", "reviewed_on", "review_version")
_FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?\n)---\n", re.DOTALL)


@dataclass(frozen=True)
class WriteBack:
    path: Path
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _without_review_keys(meta: str) -> list[str]:
    kept: list[str] = []
    skipping = False
    for line in meta.splitlines():
        key = line.split(":", 1)[0] if line and not line.startswith((" ", "-")) else None
        if key is not None:
            skipping = key in REVIEW_KEYS
        if not skipping:
            kept.append(line)
    return kept


def review_lines(version: TextVersion | None) -> list[str]:
    """The front matter lines that say how ``version`` was reviewed."""
    if version is None or version.state != TextVersion.State.APPROVED:
        return ["medical_review: pending"]
    reviewers = [
        f"{decision.reviewer.name}（{decision.reviewer.get_field_display()}）"
        for decision in sorted(
            approvals(version), key=lambda d: (d.at, d.reviewer.user.get_username())
        )
    ] or list(version.approved_by_names)  # approved elsewhere and read from the pack
    assert version.approved_at is not None  # noqa: S101 (an approved version has its date)
    on = version.approved_at.astimezone(clock.TOKYO).date()
    return [
        "medical_review: done",
        "reviewed_by:",
        *(f"  - {name}" for name in reviewers),
        f"reviewed_on: {on.isoformat()}",
        f"review_version: {version.short_hash}",
    ]


def approvals(version: TextVersion) -> list[Decision]:
    """The approvals of the round that approved ``version``."""
    return list(
        version.decisions.filter(
            verdict=Decision.Verdict.APPROVE,
            at__gte=version.review_started_at,
            at__lte=version.approved_at,
        ).select_related("reviewer__user")
    )


def rewrite(source: str, version: TextVersion | None) -> str:
    match = _FRONT_MATTER.match(source)
    if match is None:
        return source
    lines = _without_review_keys(match["meta"])
    subject_at = next((i for i, line in enumerate(lines) if line.startswith("subject:")), 0)
    lines[subject_at + 1 : subject_at + 1] = review_lines(version)
    return "---\n" + "\n".join(lines) + "\n---\n" + source[match.end() :]


def write_back(*, root: Path = PACKS_DIR, dry_run: bool = False) -> list[WriteBack]:
    """For every text from the pack, its current review into its file's front matter."""
    results = []
    versions = TextVersion.objects.current().exclude(source_path="")
    for version in versions.order_by("source_path"):
        # The pack loader names files from the repository's root, or from a pack's own folder.
        relative = version.source_path.removeprefix("content/packs/").removeprefix(f"{root.name}/")
        path = root / relative
        if not path.exists():
            continue
        before = path.read_text(encoding="utf-8")
        after = rewrite(before, version)
        result = WriteBack(path, before, after)
        if result.changed and not dry_run:
            path.write_text(after, encoding="utf-8")
        results.append(result)
    return results
