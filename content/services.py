"""Writing content: loading the repository's pack into the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from .models import BirthdayMessage, SpecialMessage, StageMessage
from .pack import PACKS_DIR, PackText, iter_pack_files, read_text


class PackError(Exception):
    """The pack has files that break its rules; nothing was loaded."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the content pack")
        self.problems = problems


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int
    by_group: Counter


def load_pack(
    *, language: str | None = None, publish: bool = True, root: Path = PACKS_DIR
) -> LoadResult:
    """Load every pack text (or one language's) idempotently: new rows, changed rows, no duplicates.

    All or nothing: a file that breaks the pack's rules stops the load before anything is written.
    """
    texts = [read_text(path, root) for path in iter_pack_files(language, root)]
    problems = [f"{text.relative_path}: {problem}" for text in texts for problem in text.problems]
    if problems:
        raise PackError(problems)

    outcome: Counter = Counter()
    by_group: Counter = Counter()
    with transaction.atomic():
        for text in texts:
            outcome[_upsert(text, publish=publish)] += 1
            by_group[_group(text)] += 1
    return LoadResult(outcome["created"], outcome["updated"], outcome["unchanged"], by_group)


def _group(text: PackText) -> tuple[str, str, str]:
    track = text.stage.track.value if text.stage else text.kind
    return (text.language, track, text.audience)


def _upsert(text: PackText, *, publish: bool) -> str:
    needs_review = text.medical_review != "done"
    if text.kind == "stage":
        model, keys = (
            StageMessage,
            {
                "track": text.stage.track.value,
                "unit": text.stage.unit.value,
                "number": text.stage.number,
                "audience": text.audience,
                "language": text.language,
            },
        )
    elif text.kind == "special":
        model, keys = (
            SpecialMessage,
            {
                "kind": text.special_kind,
                "audience": text.audience,
                "language": text.language,
            },
        )
    else:
        model, keys = (
            BirthdayMessage,
            {
                "municipality": None,
                "age_years": text.age_years,
                "language": text.language,
            },
        )
    wanted = {"subject": text.subject, "body": text.body, "source_path": text.relative_path}
    existing = model.objects.filter(**keys).first()
    if existing is None:
        # Once loaded, the review in the database (the reviews app) says whether a text still
        # needs review; the file's word is written back from it (manage.py write_reviews).
        if model is not BirthdayMessage:
            wanted["needs_medical_review"] = needs_review
        model.objects.create(**keys, **wanted, published=publish)
        return "created"
    if all(getattr(existing, name) == value for name, value in wanted.items()):
        return "unchanged"
    for name, value in wanted.items():
        setattr(existing, name, value)
    # Save through the model so that text history (when enabled) records a new version.
    existing.save()
    return "updated"
