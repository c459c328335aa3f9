"""Medical review: a text's versions and their way from draft to approved, and reader votes.

Every state change is recorded in the audit trail. Only reviewers decide, never on their own
edit. The approved version's hash is written on the text itself (``approved_hash``), which is
what the send gate compares with the text's current subject and body
(:meth:`content.models.PublishedQuerySet.approved`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import frontmatter
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, Model

from audit import services as audit
from content import pack as content_pack
from content.models import BirthdayMessage, SpecialMessage, StageMessage
from content.programme import stage_label_ja
from kizuna import clock
from municipalities.access import roles_of
from subscribers.models import Subscriber

from .models import FIELD_GROUPS, Decision, Field, Reviewer, TextVersion, Vote

REVIEWED_MODELS: tuple[type[Model], ...] = (StageMessage, SpecialMessage, BirthdayMessage)
State = TextVersion.State


class ReviewError(Exception):
    """The change is not allowed; the message says why, in Japanese, and nothing changed."""


# Versions -------------------------------------------------------------------------------------


def _describe(text: Any) -> dict[str, Any]:
    """What the queue shows and filters by, copied onto the version."""
    fields: dict[str, Any] = {
        "language": text.language,
        "audience": getattr(text, "audience", "everyone"),
        "source_path": text.source_path,
        "municipality_id": getattr(text, "municipality_id", None),
    }
    if isinstance(text, StageMessage):
        stage = text.stage
        order = {"pregnancy": 0, "child": 1}[stage.track.value]
        units = {"day": 0, "week": 1, "month": 2, "year": 3}
        fields |= {
            "track": stage.track.value,
            "stage_label": stage_label_ja(stage),
            "sort_key": f"{order}-{units[stage.unit.value]}-{stage.number:04d}",
        }
    elif isinstance(text, BirthdayMessage):
        fields |= {
            "track": "birthday",
            "stage_label": f"{text.age_years}歳の誕生日",
            "sort_key": f"2-{text.age_years:04d}",
        }
    else:
        fields |= {
            "track": "special",
            "stage_label": str(text.get_kind_display()),
            "sort_key": f"3-{text.kind}",
        }
    return fields


def _front_matter(text: Any) -> dict[str, Any]:
    """The front matter of the pack file the text was loaded from (empty if none)."""
    if not text.source_path.startswith("content/packs/"):
        return {}
    path = content_pack.PACKS_DIR / text.source_path.removeprefix("content/packs/")
    if not path.exists():
        return {}
    try:
        return dict(frontmatter.load(path).metadata)
    except Exception:  # a broken file never reached the database: the loader refuses it
        return {}


def _reviewed_on(metadata: dict[str, Any]) -> datetime.datetime | None:
    day = metadata.get("reviewed_on")
    if isinstance(day, str):
        try:
            day = datetime.date.fromisoformat(day)
        except ValueError:
            return None
    if not isinstance(day, datetime.date):
        return None
    return datetime.datetime.combine(day, datetime.time(), tzinfo=clock.TOKYO)


def _approved_in_pack(metadata: dict[str, Any], content_hash: str) -> bool:
    """The file says this exact content was reviewed (written back by ``write_reviews``
    elsewhere, e.g. before a fresh database was loaded): git and the database agree."""
    return (
        metadata.get("medical_review") == "done"
        and str(metadata.get("review_version", "")) == content_hash[:12]
        and bool(metadata.get("reviewed_by"))
    )


DESCRIBED_FIELDS = (
    "language",
    "audience",
    "source_path",
    "municipality_id",
    "track",
    "stage_label",
    "sort_key",
)


def _last_editors(model: type[Model], ids: list[int]) -> dict[int, int | None]:
    """Who saved each text last (its newest history row), in one query."""
    history = model.history.model  # type: ignore[attr-defined]
    # Newest history row per text by max(history_id), not DISTINCT ON: `make run`'s SQLite
    # has no DISTINCT ON.
    newest = (
        history.objects.filter(id__in=ids)
        .values("id")
        .annotate(newest=Max("history_id"))
        .values("newest")
    )
    return dict(history.objects.filter(history_id__in=newest).values_list("id", "history_user_id"))


def record_version(text: Any, *, edited_by: Any = None) -> TextVersion:
    """Make the text's current subject and body its current version (called on every save)."""
    return record_versions(type(text), [text], edited_by=edited_by)[0]


def record_versions(
    model: type[Model], texts: Sequence[Any], *, edited_by: Any = None
) -> list[TextVersion]:
    """Make each text's current subject and body its current version, in a few statements
    however many texts there are (the pack loader writes hundreds at once).

    An unchanged text keeps its version and its approval. A new content starts as a draft; if
    the text was ever submitted for review, the new content goes straight back to review: an
    edit after approval is never approved by inheritance. Content the text had before keeps the
    review it had.
    """
    latest = {text.pk: text for text in texts if text.pk is not None}  # the last write wins
    if not latest:
        return []
    text_type = ContentType.objects.get_for_model(model)
    ids = list(latest)
    with transaction.atomic():
        by_text: dict[int, list[TextVersion]] = defaultdict(list)
        for version in TextVersion.objects.select_for_update().filter(
            text_type=text_type, text_id__in=ids
        ):
            by_text[version.text_id].append(version)
        editors = {} if edited_by is not None else _last_editors(model, ids)
        results: dict[int, TextVersion] = {}
        retired: list[int] = []
        described: list[TextVersion] = []  # existing versions: what the queue shows, refreshed
        changed: list[TextVersion] = []  # versions that became their text's current one
        new: list[TextVersion] = []
        previous: dict[int, TextVersion | None] = {}
        now = clock.now()
        for text in latest.values():
            content_hash = text.content_hash
            versions = by_text[text.pk]
            current = next((v for v in versions if v.current), None)
            fields = _describe(text)
            if current is not None and current.content_hash == content_hash:
                described.append(_with(current, fields))
                results[text.pk] = current
                continue
            if current is not None:
                retired.append(current.pk)
            earlier = next((v for v in versions if v.content_hash == content_hash), None)
            if earlier is not None:
                # Back to a content that was reviewed before: its own review stands.
                earlier.current = True
                described.append(_with(earlier, fields))
                changed.append(earlier)
                results[text.pk] = earlier
                continue
            new.append(
                _new_version(
                    text,
                    text_type,
                    reviewed_before=any(v.state != State.DRAFT for v in versions),
                    edited_by_id=edited_by.pk if edited_by is not None else editors.get(text.pk),
                    fields=fields,
                    now=now,
                )
            )
            previous[text.pk] = current
        if retired:
            TextVersion.objects.filter(pk__in=retired).update(current=False)
        if described:
            TextVersion.objects.bulk_update(
                described, [*DESCRIBED_FIELDS, "current"], batch_size=500
            )
        for version in TextVersion.objects.bulk_create(new, batch_size=500):
            results[version.text_id] = version
            changed.append(version)
            # A first draft is the text's own save (in its history); a version that goes
            # straight back to review, or arrives approved from the pack, is a review event.
            if version.state != State.DRAFT:
                _record_new_version(version, previous[version.text_id])
        _write_approvals(model, changed)
    return [results[text.pk] for text in texts if text.pk is not None]


def _with(version: TextVersion, fields: dict[str, Any]) -> TextVersion:
    for name, value in fields.items():
        setattr(version, name, value)
    return version


def _new_version(
    text: Any,
    text_type: ContentType,
    *,
    reviewed_before: bool,
    edited_by_id: int | None,
    fields: dict[str, Any],
    now: datetime.datetime,
) -> TextVersion:
    content_hash = text.content_hash
    metadata = _front_matter(text)
    listed = metadata.get("facts")
    facts: list[Any] = listed if isinstance(listed, list) else []
    state = State.IN_REVIEW if reviewed_before else State.DRAFT
    approved: dict[str, Any] = {}
    if _approved_in_pack(metadata, content_hash):
        state = State.APPROVED
        approved = {
            "approved_at": _reviewed_on(metadata) or now,
            "approved_by_names": [str(name) for name in metadata["reviewed_by"]],
        }
    return TextVersion(
        text_type=text_type,
        text_id=text.pk,
        subject=text.subject,
        body=text.body,
        content_hash=content_hash,
        facts=[str(fact) for fact in facts],
        state=state,
        review_started_at=now,
        state_changed_at=now,
        edited_by_id=edited_by_id,
        current=True,
        **approved,
        **fields,
    )


def _record_new_version(version: TextVersion, previous: TextVersion | None) -> None:
    audit.record(
        "change",
        step="review.version",
        user=version.edited_by,
        target="reviews.TextVersion",
        target_id=str(version.pk),
        state=version.state,
        version=version.short_hash,
        text=version.stage_label,
        previous=previous.short_hash if previous else "",
        approved_in_pack=version.approved_by_names,
    )


def record_all_versions() -> int:
    """A version for every text that has none yet (texts loaded before reviews existed)."""
    made = 0
    for model in REVIEWED_MODELS:
        text_type = ContentType.objects.get_for_model(model)
        known = set(
            TextVersion.objects.filter(text_type=text_type, current=True).values_list(
                "text_id", flat=True
            )
        )
        texts = list(model.objects.exclude(pk__in=known))  # type: ignore[attr-defined]
        record_versions(model, texts)
        made += len(texts)
    return made


def text_of(version: TextVersion) -> Any:
    model = version.text_type.model_class()
    assert model is not None  # noqa: S101 (only the reviewed models have versions)
    return model.objects.get(pk=version.text_id)  # type: ignore[attr-defined]


def _write_approval(version: TextVersion) -> None:
    """Mark the text sendable as this version (or not at all, if this version is not approved)."""
    model = version.text_type.model_class()
    assert model is not None  # noqa: S101 (only the reviewed models have versions)
    _write_approvals(model, [version])


def _write_approvals(model: type[Model], versions: Sequence[TextVersion]) -> None:
    """:func:`_write_approval` for many versions of one model's texts, in two statements."""
    flagged = model is not BirthdayMessage  # birthday texts have no needs_medical_review
    fields = ["approved_hash", "needs_medical_review"] if flagged else ["approved_hash"]
    approved = [
        model(pk=v.text_id, approved_hash=v.content_hash, **dict.fromkeys(fields[1:], False))
        for v in versions
        if v.state == State.APPROVED
    ]
    if approved:
        model.objects.bulk_update(approved, fields, batch_size=500)  # type: ignore[attr-defined]
    pending = [v.text_id for v in versions if v.state != State.APPROVED]
    if pending and flagged:
        model.objects.filter(pk__in=pending).update(needs_medical_review=True)  # type: ignore[attr-defined]


# Who may do what ------------------------------------------------------------------------------


def reviewer_of(user: Any) -> Reviewer | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Reviewer.objects.filter(user=user, active=True).first()


def may_review(reviewer: Reviewer | None, version: TextVersion) -> bool:
    """National reviewers review every text; a municipality's reviewers only its own texts."""
    if reviewer is None:
        return False
    return bool(
        reviewer.municipality_id is None or reviewer.municipality_id == version.municipality_id
    )


def may_edit(user: Any, version: TextVersion) -> bool:
    """Who submits a text for review: its editors (national content editors, or the
    municipality's editors for its own texts)."""
    roles = roles_of(user)
    if roles.superuser or roles.content_editor:
        return True
    return version.municipality_id is not None and version.municipality_id in roles.editor_of


def _change_state(
    version: TextVersion, state: str, *, user: Any, action: str, **detail: Any
) -> None:
    previous = version.state
    version.state = state
    version.state_changed_at = clock.now()
    fields = ["state", "state_changed_at"]
    if state == State.IN_REVIEW:
        version.review_started_at = version.state_changed_at
        fields.append("review_started_at")
    if state == State.APPROVED:
        version.approved_at = version.state_changed_at
        version.flagged_by_readers = False
        fields += ["approved_at", "flagged_by_readers"]
    version.save(update_fields=fields)
    audit.record(
        "change",
        step=action,
        user=user,
        target="reviews.TextVersion",
        target_id=str(version.pk),
        previous=previous,
        state=state,
        version=version.short_hash,
        text=version.stage_label,
        **detail,
    )
    _write_approval(version)


def _locked(version: TextVersion) -> TextVersion:
    locked: TextVersion = (
        TextVersion.objects.select_for_update().select_related("text_type").get(pk=version.pk)
    )
    return locked


def submit(version: TextVersion, *, user: Any) -> TextVersion:
    """Draft → in review, by one of the text's editors."""
    with transaction.atomic():
        version = _locked(version)
        if not may_edit(user, version):
            raise ReviewError("この本文を監修に出す権限がありません。")
        if not version.current:
            raise ReviewError("この版はすでに新しい版に置き換わっています。")
        if version.state != State.DRAFT:
            raise ReviewError("下書きの版だけを監修に出せます。")
        _change_state(version, State.IN_REVIEW, user=user, action="review.submit")
        return version


def start_re_review(version: TextVersion, *, user: Any) -> TextVersion:
    """An approved version due for re-review goes back to review (it is still sent meanwhile)."""
    with transaction.atomic():
        version = _locked(version)
        if not (may_edit(user, version) or may_review(reviewer_of(user), version)):
            raise ReviewError("再監修を始める権限がありません。")
        if version.state != State.APPROVED or not version.current:
            raise ReviewError("承認済みの現在の版だけを再監修に出せます。")
        _change_state(version, State.IN_REVIEW, user=user, action="review.re_review")
        return version


@dataclass(frozen=True)
class Requirement:
    approvals: int
    needed: int
    missing_groups: list[str]

    @property
    def met(self) -> bool:
        return self.approvals >= self.needed and not self.missing_groups


# Languages reviewed as Japanese: their texts need no native-speaker approval of a translation.
REVIEWED_AS_JAPANESE = ("", "ja", "ja-easy")


def requirement(decisions: Iterable[Decision], language: str = "") -> Requirement:
    """What the version still lacks: medical approvals, and for a translation a native
    speaker's approval in its language."""
    approvals = [d for d in decisions if d.verdict == Decision.Verdict.APPROVE]
    medical = [d for d in approvals if d.field != Field.TRANSLATOR]
    fields = {d.field for d in medical}
    missing = [
        group
        for group in settings.KIZUNA_REVIEW_REQUIRED_FIELDS
        if not FIELD_GROUPS.get(group, frozenset({group})) & fields
    ]
    if language not in REVIEWED_AS_JAPANESE and not any(
        d.field == Field.TRANSLATOR and language in (d.reviewer.languages or []) for d in approvals
    ):
        missing.append(Field.TRANSLATOR.value)
    return Requirement(len(medical), settings.KIZUNA_REVIEW_APPROVALS, missing)


def decide(
    version: TextVersion, *, user: Any, approve: bool, comment: str = "", content_hash: str = ""
) -> TextVersion:
    """A reviewer approves the exact version, or asks for changes (with a comment).

    ``content_hash``: the version the reviewer read (a form, a spreadsheet row); if the text has
    changed since, nothing is recorded.
    """
    comment = comment.strip()
    with transaction.atomic():
        version = _locked(version)
        reviewer = reviewer_of(user)
        if reviewer is None:
            raise ReviewError("監修者だけが承認・修正依頼できます。")
        if not may_review(reviewer, version):
            raise ReviewError("この本文を監修する権限がありません（担当の自治体が違います）。")
        if reviewer.field == Field.TRANSLATOR and (
            version.language in REVIEWED_AS_JAPANESE
            or version.language not in (reviewer.languages or [])
        ):
            raise ReviewError("この言語の翻訳を確認する担当ではありません。")
        if content_hash and content_hash != version.content_hash:
            raise ReviewError(
                "読んだ版と現在の版が違います。本文が変わったので、読み直してください。"
            )
        if not version.current:
            raise ReviewError("本文が変わりました。新しい版を読み直してください。")
        if version.edited_by_id == user.pk:
            raise ReviewError("自分で編集した版は承認・修正依頼できません。")
        if version.state != State.IN_REVIEW:
            raise ReviewError("監修中の版だけを承認・修正依頼できます。")
        if not approve and not comment:
            raise ReviewError("修正依頼にはコメントを書いてください。")
        verdict = Decision.Verdict.APPROVE if approve else Decision.Verdict.CHANGES
        version.decisions.filter(reviewer=reviewer, at__gte=version.review_started_at).delete()
        Decision.objects.create(
            version=version,
            reviewer=reviewer,
            field=reviewer.field,
            verdict=verdict,
            content_hash=version.content_hash,
        )
        if comment:
            add_comment(version, user=user, body=comment)
        audit.record(
            "change",
            step="review.approve" if approve else "review.request_changes",
            user=user,
            target="reviews.TextVersion",
            target_id=str(version.pk),
            version=version.short_hash,
            field=reviewer.field,
            text=version.stage_label,
        )
        if not approve:
            _change_state(
                version, State.CHANGES_REQUESTED, user=user, action="review.state_changed"
            )
        elif requirement(current_decisions(version), version.language).met:
            _change_state(version, State.APPROVED, user=user, action="review.state_changed")
        return version


def current_decisions(version: TextVersion) -> list[Decision]:
    """This round's decisions: those since the version last entered review."""
    latest: dict[int, Decision] = {}
    decisions = version.decisions.filter(at__gte=version.review_started_at).select_related(
        "reviewer"
    )
    for decision in decisions.order_by("at"):
        latest[decision.reviewer_id] = decision
    return list(latest.values())


def add_comment(version: TextVersion, *, user: Any, body: str) -> None:
    body = body.strip()
    if not body:
        raise ReviewError("コメントが空です。")
    if len(body) > 2000:
        raise ReviewError("コメントは2000文字以内にしてください。")
    if not (may_edit(user, version) or may_review(reviewer_of(user), version)):
        raise ReviewError("この本文にコメントする権限がありません。")
    version.comments.create(author=user, body=body)
    audit.record(
        "change",
        step="review.comment",
        user=user,
        target="reviews.TextVersion",
        target_id=str(version.pk),
        version=version.short_hash,
    )


def due_for_re_review(now: datetime.datetime | None = None) -> Any:
    """Current approved versions approved longer ago than the re-review age."""
    now = now or clock.now()
    months = settings.KIZUNA_REVIEW_MAX_AGE_MONTHS
    cutoff = now - datetime.timedelta(days=round(months * 365.25 / 12))
    return TextVersion.objects.current().filter(state=State.APPROVED, approved_at__lt=cutoff)


# Reader votes ---------------------------------------------------------------------------------


class VoteRefused(Exception):
    """The vote cannot be counted; the message is for the reader."""


def vote(
    subscriber: Subscriber,
    *,
    message_key: str,
    stage_message_id: int,
    helpful: bool,
    comment: str = "",
) -> Vote:
    """One vote per reader per message: a second vote changes the first."""
    if not subscriber.is_active:
        raise VoteRefused("配信を停止されているため、評価は受け付けていません。")
    comment = comment.strip()
    if len(comment) > 500:
        raise VoteRefused("ひとことは500文字以内にしてください。")
    text = StageMessage.objects.filter(pk=stage_message_id).first()
    if text is None:
        raise VoteRefused("このメッセージはもうありません。")
    with transaction.atomic():
        existing = Vote.objects.filter(subscriber=subscriber, message_key=message_key).first()
        if existing is None:
            cast_vote = Vote.objects.create(
                subscriber=subscriber,
                message_key=message_key,
                stage_message=text,
                content_hash=text.content_hash,
                helpful=helpful,
                comment=comment,
            )
        else:
            existing.helpful = helpful
            if comment:
                existing.comment = comment
            existing.save(update_fields=["helpful", "comment", "at"])
            cast_vote = existing
        _flag_if_below_threshold(text)
    return cast_vote


@dataclass(frozen=True)
class Score:
    helpful: int
    not_helpful: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def shown(self) -> bool:
        """Small counts are hidden: a few votes would say who voted, and little else."""
        return bool(self.total >= settings.KIZUNA_FEEDBACK_MIN_VOTES)

    @property
    def share(self) -> float:
        return self.helpful / self.total if self.total else 0.0


def score_of(text: StageMessage) -> Score:
    votes = Vote.objects.filter(stage_message=text, content_hash=text.content_hash)
    helpful = votes.filter(helpful=True).count()
    return Score(helpful, votes.count() - helpful)


def _flag_if_below_threshold(text: StageMessage) -> None:
    score = score_of(text)
    if not score.shown or score.share >= settings.KIZUNA_FEEDBACK_THRESHOLD:
        return
    version = (
        TextVersion.objects.select_for_update()
        .filter(
            text_type=ContentType.objects.get_for_model(StageMessage),
            text_id=text.pk,
            current=True,
            content_hash=text.content_hash,
        )
        .first()
    )
    if version is None or version.flagged_by_readers:
        return
    version.flagged_by_readers = True
    version.save(update_fields=["flagged_by_readers"])
    audit.record(
        "change",
        step="review.flagged_by_readers",
        target="reviews.TextVersion",
        target_id=str(version.pk),
        version=version.short_hash,
        helpful=score.helpful,
        not_helpful=score.not_helpful,
    )
    if version.state == State.APPROVED:
        _change_state(
            version, State.IN_REVIEW, user=None, action="review.re_review", reason="readers"
        )
