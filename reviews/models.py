"""Medical review: reviewers, each text's versions, their approvals and comments; reader votes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from content.models import Audience
from kizuna.choices import LANGUAGE_CODE_MAX_LENGTH, Language


class Field(models.TextChoices):
    OBSTETRICIAN = "obstetrician", _("産婦人科医")
    PAEDIATRICIAN = "paediatrician", _("小児科医")
    MIDWIFE = "midwife", _("助産師")
    PUBLIC_HEALTH_NURSE = "public_health_nurse", _("保健師")
    DIETITIAN = "dietitian", _("管理栄養士")
    DENTIST = "dentist", _("歯科医師")
    # Native-speaker review of a translation (issue 27): approves texts in its languages only,
    # in addition to the medical approval. やさしい日本語 is reviewed as Japanese.
    TRANSLATOR = "translator", _("翻訳の確認（母語話者）")


# The names KIZUNA_REVIEW_REQUIRED_FIELDS may use: a group, or any single field by its code.
FIELD_GROUPS: dict[str, frozenset[str]] = {
    "physician": frozenset({Field.OBSTETRICIAN.value, Field.PAEDIATRICIAN.value}),
    **{field.value: frozenset({field.value}) for field in Field},
}
FIELD_GROUP_LABELS = {"physician": _("医師（産婦人科医または小児科医）")} | {
    field.value: field.label for field in Field
}


class Reviewer(models.Model):
    """A staff account that may approve texts (監修者): national texts, or one municipality's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reviewer",
        verbose_name=_("ユーザー"),
    )
    field = models.CharField(_("専門分野"), max_length=24, choices=Field)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reviewers",
        verbose_name=_("自治体"),
        help_text=_(
            "空欄は全国共通の本文の監修者。自治体を選ぶと、その自治体独自の本文だけを監修します。"
        ),
    )
    languages = models.JSONField(
        _("確認する言語"),
        default=list,
        blank=True,
        help_text=_(
            '翻訳の確認（母語話者）のとき、確認する言語のコード。例: ["vi"]。'
            "日本語・やさしい日本語の本文は医療監修だけで承認されます。"
        ),
    )
    active = models.BooleanField(_("有効"), default=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("監修者")
        verbose_name_plural = _("監修者")
        ordering = ["field", "user__username"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_field_display()}）"

    @property
    def name(self) -> str:
        """Family name first, as Japanese names are written."""
        full = f"{self.user.last_name} {self.user.first_name}".strip()
        return full or self.user.get_username()


class TextVersionQuerySet(models.QuerySet):
    def current(self) -> TextVersionQuerySet:
        return self.filter(current=True)


class TextVersion(models.Model):
    """One version of a text: its subject and body exactly, by content hash, and its review."""

    class State(models.TextChoices):
        DRAFT = "draft", _("下書き")
        IN_REVIEW = "in_review", _("監修中")
        APPROVED = "approved", _("承認済み")
        CHANGES_REQUESTED = "changes_requested", _("修正依頼")

    text_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("種類"))
    text_id = models.PositiveBigIntegerField(_("本文のID"))
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="text_versions",
        verbose_name=_("自治体"),
        help_text=_("自治体独自の本文のとき。空欄は全国共通の本文。"),
    )
    track = models.CharField(_("トラック"), max_length=12, blank=True)
    stage_label = models.CharField(_("段階"), max_length=60, blank=True)
    sort_key = models.CharField(max_length=60, blank=True, editable=False)
    language = models.CharField(_("言語"), max_length=LANGUAGE_CODE_MAX_LENGTH, blank=True)
    audience = models.CharField(_("対象"), max_length=12, blank=True)
    source_path = models.CharField(_("コンテンツパックのファイル"), max_length=200, blank=True)
    facts = models.JSONField(_("根拠"), default=list, blank=True)
    subject = models.CharField(_("件名"), max_length=200)
    body = models.TextField(_("本文"))
    content_hash = models.CharField(_("版（内容のハッシュ）"), max_length=64)
    state = models.CharField(_("状態"), max_length=20, choices=State, default=State.DRAFT)
    current = models.BooleanField(_("現在の版"), default=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("編集した人"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("状態の変更日時"), auto_now_add=True)
    review_started_at = models.DateTimeField(_("監修の開始日時"), null=True, blank=True)
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    approved_by_names = models.JSONField(
        _("コンテンツパックに記録された監修者"),
        default=list,
        blank=True,
        help_text=_("別の環境で承認され、パックの front matter に書き戻された版を読み込んだとき。"),
    )
    flagged_by_readers = models.BooleanField(
        _("読者の評価が低い"),
        default=False,
        help_text=_("「役に立った」の割合がしきい値を下回り、監修に戻されました。"),
    )

    objects = TextVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("本文の版")
        verbose_name_plural = _("本文の版")
        ordering = ["sort_key", "language", "audience"]
        constraints = [
            models.UniqueConstraint(
                fields=["text_type", "text_id", "content_hash"], name="one_version_per_content"
            ),
            models.UniqueConstraint(
                fields=["text_type", "text_id"],
                condition=models.Q(current=True),
                name="one_current_version_per_text",
            ),
        ]
        indexes = [models.Index(fields=["current", "state"], name="review_queue_idx")]

    def __str__(self) -> str:
        return f"{self.subject}（{self.short_hash}）"

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    @property
    def variant_label(self) -> str:
        """「全員・日本語」, 「パートナー・英語」: whom the text is for."""
        audience = dict(Audience.choices).get(self.audience, self.audience)
        language = dict(Language.choices).get(self.language, self.language)
        return f"{audience}・{language}"


class Decision(models.Model):
    """A reviewer's approval or request for changes of one exact version."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("承認")
        CHANGES = "changes", _("修正依頼")

    version = models.ForeignKey(
        TextVersion, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("版")
    )
    reviewer = models.ForeignKey(
        Reviewer, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("監修者")
    )
    field = models.CharField(_("専門分野"), max_length=24, choices=Field)
    verdict = models.CharField(_("判定"), max_length=10, choices=Verdict)
    content_hash = models.CharField(_("判定した版"), max_length=64)
    at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("監修の判定")
        verbose_name_plural = _("監修の判定")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}（{self.get_field_display()}）"


class Comment(models.Model):
    """A remark on one version; it stays with that version when the text changes."""

    version = models.ForeignKey(
        TextVersion, on_delete=models.CASCADE, related_name="comments", verbose_name=_("版")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("書いた人"),
    )
    body = models.TextField(_("コメント"), max_length=2000)
    at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("監修コメント")
        verbose_name_plural = _("監修コメント")
        ordering = ["at"]

    def __str__(self) -> str:
        return self.body[:40]


class Vote(models.Model):
    """A reader's 「役に立った」 or 「いまひとつ」 on one stage message they received."""

    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        related_name="votes",
        verbose_name=_("読者"),
    )
    message_key = models.CharField(_("メッセージキー"), max_length=100)
    stage_message = models.ForeignKey(
        "content.StageMessage",
        on_delete=models.CASCADE,
        related_name="votes",
        verbose_name=_("ステージメッセージ"),
    )
    content_hash = models.CharField(_("評価した版"), max_length=64)
    helpful = models.BooleanField(_("役に立った"))
    comment = models.TextField(_("ひとこと"), max_length=500, blank=True)
    at = models.DateTimeField(_("日時"), auto_now=True)

    class Meta:
        verbose_name = _("読者の評価")
        verbose_name_plural = _("読者の評価")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "message_key"], name="one_vote_per_reader_per_message"
            )
        ]

    def __str__(self) -> str:
        return "役に立った" if self.helpful else "いまひとつ"
