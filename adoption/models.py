from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from delivery.outbox import MessageKey
from kizuna.email_addresses import MailboxField

IMPORT_MESSAGE_KIND = "import"  # the kind of its deliveries' message keys (delivery.outbox)
MOVE_MESSAGE_KIND = "move"  # the kind of its deliveries' message keys (delivery.outbox)


class ImportBatch(models.Model):
    """One uploaded file of readers from another service: analysed, previewed, then imported.

    The parsed rows are kept (ImportRow), so that confirming imports exactly what was previewed.
    """

    class Status(models.TextChoices):
        ANALYSING = "analysing", _("ファイルを確認中")
        PREVIEWED = "previewed", _("取り込みの確認待ち")
        IMPORTING = "importing", _("取り込み中")
        DONE = "done", _("取り込み済み")
        FAILED = "failed", _("ファイルを読めませんでした")
        DISCARDED = "discarded", _("取りやめ")

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("自治体"),
    )
    source_name = models.CharField(
        _("移行元のサービス名"),
        max_length=60,
        help_text=_("読者へのお知らせに「〇〇から引き継ぎました」と書かれます。"),
    )
    file_name = models.CharField(_("ファイル名"), max_length=200)
    file = models.BinaryField(_("ファイル"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=10, choices=Status, default=Status.ANALYSING)
    error = models.CharField(_("エラー"), max_length=500, blank=True)
    # Counted before the file is read: a second attempt means the first one's worker died.
    analysis_attempts = models.PositiveSmallIntegerField(_("確認を始めた回数"), default=0)
    total_rows = models.PositiveIntegerField(_("行数"), default=0)
    rows_done = models.PositiveIntegerField(_("処理済みの行数"), default=0)
    to_create = models.PositiveIntegerField(_("新規"), default=0)
    to_merge = models.PositiveIntegerField(_("既存の家族に追加"), default=0)
    already_imported = models.PositiveIntegerField(_("取り込み済み"), default=0)
    rejected = models.PositiveIntegerField(_("取り込めない行"), default=0)
    imported = models.PositiveIntegerField(_("取り込んだ読者"), default=0)
    skipped_at_import = models.PositiveIntegerField(_("取り込み時に見送った行"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("アップロードした人"),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取り込みを確定した人"),
    )
    created_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    analysed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("確定日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("読者の取り込み")
        verbose_name_plural = _("読者の取り込み")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.source_name}）"

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.ANALYSING, self.Status.IMPORTING)

    @property
    def message_key(self) -> str:
        """The key of the welcome message each reader imported by this batch gets."""
        return str(MessageKey.for_record(IMPORT_MESSAGE_KIND, self.pk))


class ImportRow(models.Model):
    """One row of an uploaded file, as understood: what will happen to it, and why."""

    class Action(models.TextChoices):
        CREATE = "create", _("新しい家族として登録")
        MERGE = "merge", _("既存の家族に追加")
        CHILD = "child", _("同じ読者にお子さまを追加")
        ALREADY = "already", _("取り込み済み（変更なし）")
        REJECT = "reject", _("取り込めません")

    class Outcome(models.TextChoices):
        PENDING = "", _("未処理")
        IMPORTED = "imported", _("取り込みました")
        SKIPPED = "skipped", _("見送りました")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(_("行"))
    action = models.CharField(_("処理"), max_length=8, choices=Action)
    reasons = models.CharField(_("理由"), max_length=500, blank=True)
    contact_hint = models.CharField(_("連絡先（一部）"), max_length=80, blank=True)
    relationship = models.CharField(_("続柄"), max_length=20, blank=True)
    # Normalised values (address, LINE id, dates): erased once the batch is finished.
    data = models.JSONField(_("取り込む内容"), default=dict, blank=True)
    fingerprint = models.CharField(_("指紋"), max_length=64, blank=True)
    family_key = models.CharField(_("家族ID"), max_length=100, blank=True)
    merge_with_line = models.PositiveIntegerField(_("同じ家族の行"), null=True, blank=True)
    outcome = models.CharField(
        _("結果"), max_length=8, choices=Outcome, default=Outcome.PENDING, blank=True
    )
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    child = models.ForeignKey(
        "subscribers.Child", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("取り込みの行")
        verbose_name_plural = _("取り込みの行")
        ordering = ["batch", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="one_import_row_per_line")
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line} {self.get_action_display()}"


class ImportedReader(models.Model):
    """The memory of every reader imported, by a fingerprint of (source, address or LINE id):
    uploading the same file again adds nothing, and later files can join the same family."""

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    fingerprint = models.CharField(_("指紋"), max_length=64)
    source_key = models.CharField(_("移行元"), max_length=60)
    family_key = models.CharField(_("家族ID"), max_length=100, blank=True)
    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.CASCADE, related_name="imports"
    )
    child = models.ForeignKey("subscribers.Child", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("移行した読者")
        verbose_name_plural = _("移行した読者")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fingerprint"], name="import_each_reader_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["municipality", "source_key", "family_key"], name="imported_family_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_key} → {self.subscriber_id}"


class ExportLog(models.Model):
    """Who downloaded a municipality's readers, and when: an address list leaving the system."""

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rows = models.PositiveIntegerField(_("行数"))
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("読者の書き出し記録")
        verbose_name_plural = _("読者の書き出し記録")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.created_at:%Y-%m-%d %H:%M} ({self.rows})"


class ChannelMove(models.Model):
    """Staff announced a move between channels (email to LINE, or LINE to email): each reader on
    the old channel got a personal link."""

    class Direction(models.TextChoices):
        TO_LINE = "to_line", _("メールからLINEへ")
        TO_EMAIL = "to_email", _("LINEからメールへ")

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="channel_moves"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(
        _("移行の向き"), max_length=8, choices=Direction, default=Direction.TO_LINE
    )
    invited = models.PositiveIntegerField(_("案内した読者"), default=0)
    created_at = models.DateTimeField(_("案内日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("配信方法の移行")
        verbose_name_plural = _("配信方法の移行")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.created_at:%Y-%m-%d}"

    @property
    def message_key(self) -> str:
        return str(MessageKey.for_record(MOVE_MESSAGE_KIND, self.pk))

    @property
    def from_channel(self) -> str:
        return "line" if self.direction == self.Direction.TO_EMAIL else "email"

    @property
    def to_channel(self) -> str:
        return "email" if self.direction == self.Direction.TO_EMAIL else "line"


class LineLinkCode(models.Model):
    """A short code a reader sends to the LINE account to bind it to their registration."""

    move = models.ForeignKey(ChannelMove, on_delete=models.CASCADE, related_name="codes")
    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(_("連携コード"), max_length=12, unique=True)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("連携日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("LINE連携コード")
        verbose_name_plural = _("LINE連携コード")
        constraints = [
            models.UniqueConstraint(fields=["move", "subscriber"], name="one_code_per_reader_move")
        ]

    def __str__(self) -> str:
        return f"{self.move_id}:{self.subscriber_id}"


class EmailMoveRequest(models.Model):
    """A LINE reader asked to receive by email at ``email``; it counts once they confirm it by the
    link sent to that address. A new address replaces the old one (and its link)."""

    move = models.ForeignKey(ChannelMove, on_delete=models.CASCADE, related_name="email_requests")
    subscriber = models.ForeignKey(
        "subscribers.Subscriber", on_delete=models.CASCADE, related_name="+"
    )
    email = MailboxField(_("メールアドレス"))
    # Changes with every new address, so that only the newest confirmation link works.
    nonce = models.CharField(max_length=32)
    requested_at = models.DateTimeField(_("申し込み日時"))
    confirmed_at = models.DateTimeField(_("切り替え日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("メールへの切り替えの申し込み")
        verbose_name_plural = _("メールへの切り替えの申し込み")
        constraints = [
            models.UniqueConstraint(
                fields=["move", "subscriber"], name="one_email_request_per_reader_move"
            )
        ]

    def __str__(self) -> str:
        return f"{self.move_id}:{self.subscriber_id}"
