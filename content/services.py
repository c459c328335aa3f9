"""Writing content: loading the repository's pack into the database."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from . import signals
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
    by_group: Counter[tuple[str, str, str]]  # (language, track or kind, audience) -> texts


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

    outcome: Counter[str] = Counter()
    by_group: Counter[tuple[str, str, str]] = Counter()
    # A whole pack (700 files) in a few statements: every existing row read once, new rows and
    # changed rows written in bulk, each with its history version (content.selectors relies on it).
    wanted_rows = [_row(text, publish=publish) for text in texts]
    with transaction.atomic():
        existing: dict[type[Any], dict[tuple[Any, ...], Any]] = {
            model: {_key(model, row): row for row in model.objects.filter(**scope)}
            for model, scope in (
                (StageMessage, cast(dict[str, Any], {})),
                (SpecialMessage, {}),
                (BirthdayMessage, {"municipality__isnull": True}),
            )
        }
        created: dict[type[Any], list[Any]] = {}
        updated: dict[type[Any], list[tuple[Any, list[str]]]] = {}
        for text, (model, keys, wanted, initial) in zip(texts, wanted_rows, strict=True):
            by_group[_group(text)] += 1
            found = existing[model].get(tuple(keys.values()))
            if found is None:
                created.setdefault(model, []).append(
                    model(**keys, **wanted, **initial, published=publish)
                )
                outcome["created"] += 1
            elif all(getattr(found, name) == value for name, value in wanted.items()):
                outcome["unchanged"] += 1
            else:
                for name, value in wanted.items():
                    setattr(found, name, value)
                updated.setdefault(model, []).append((found, sorted(wanted)))
                outcome["updated"] += 1
        written: dict[type[Any], list[Any]] = {}
        for model, rows in created.items():
            written.setdefault(model, []).extend(
                bulk_create_with_history(rows, model, batch_size=500)
            )
        for model, pairs in updated.items():
            fields = sorted({name for _row_, names in pairs for name in names})
            rows = [row for row, _names in pairs]
            bulk_update_with_history(rows, model, fields, batch_size=500)
            written.setdefault(model, []).extend(rows)
        for model, rows in written.items():
            signals.texts_written.send(sender=model, rows=rows)
    return LoadResult(outcome["created"], outcome["updated"], outcome["unchanged"], by_group)


def _key(model: type[Any], row: Any) -> tuple[Any, ...]:
    if model is StageMessage:
        return (row.track, row.unit, row.number, row.audience, row.language)
    if model is SpecialMessage:
        return (row.kind, row.audience, row.language)
    return (None, row.age_years, row.language)


def _group(text: PackText) -> tuple[str, str, str]:
    track = text.stage.track.value if text.stage else text.kind
    return (text.language, track, text.audience)


def _row(
    text: PackText, *, publish: bool
) -> tuple[type[Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The model a pack text is stored in, its identifying fields (in :func:`_key`'s order), the
    fields the pack sets and those it sets on a new row only."""
    needs_review = text.medical_review != "done"
    model: type[Any]
    keys: dict[str, Any]
    if text.kind == "stage":
        assert text.stage is not None  # noqa: S101 (a stage text always has its stage)
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
            {"kind": text.special_kind, "audience": text.audience, "language": text.language},
        )
    else:
        model, keys = (
            BirthdayMessage,
            {"municipality": None, "age_years": text.age_years, "language": text.language},
        )
    wanted: dict[str, Any] = {
        "subject": text.subject,
        "body": text.body,
        "source_path": text.relative_path,
    }
    # Once loaded, the review in the database (the reviews app) says whether a text still needs
    # review; the file's word is written back from it (manage.py write_reviews). So the file's
    # medical_review sets a new row's flag only.
    initial: dict[str, Any] = {}
    if model is not BirthdayMessage:
        initial["needs_medical_review"] = needs_review
    return model, keys, wanted, initial
