from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kizuna.choices import Channel

if TYPE_CHECKING:
    from django.db.backends.base.schema import BaseDatabaseSchemaEditor
    from django.db.backends.ddl_references import Statement

    from municipalities.models import Municipality


class DeliveryQuerySet(models.QuerySet["Delivery"]):
    def for_municipality(self, municipality: Municipality | int) -> DeliveryQuerySet:
        return self.filter(municipality=municipality)

    def due_on(self, day: datetime.date) -> DeliveryQuerySet:
        return self.filter(due_on=day)


FINISHED_STATUSES = ["sent", "failed", "skipped"]


class HashIndexOnPostgres(models.Index):
    """A hash index on PostgreSQL, a plain one elsewhere (the SQLite demo)."""

    def create_sql(
        self,
        model: type[models.Model],
        schema_editor: BaseDatabaseSchemaEditor,
        using: str = "",
        **kwargs: Any,
    ) -> Statement:
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Feedback(models.TextChoices):
    """What the provider told us after sending (ESP tracking webhooks)."""

    DELIVERED = "delivered", _("到達")
    BOUNCED = "bounced", _("不達")
    COMPLAINED = "complained", _("迷惑メール報告")


class Delivery(models.Model):
    """One message to one reader, through their channel; the database makes a duplicate impossible.

    ``message_key`` names what is sent, independent of which text variant is chosen: a
    :class:`delivery.outbox.MessageKey`, the one place that writes and reads it. The unique
    (reader, message) leaves the channel out on purpose: a reader who received a message by
    mail and then switched to LINE (or back) must not receive it again on the new channel.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("予定")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("失敗")
        SKIPPED = "skipped", _("取りやめ")

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("自治体"),
    )
    # No index of its own: the unique (subscriber, message_key) leads with it.
    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        db_index=False,
        related_name="deliveries",
        verbose_name=_("読者"),
    )
    child = models.ForeignKey(
        "subscribers.Child",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("妊娠・子ども"),
    )
    channel = models.CharField(_("チャネル"), max_length=10, choices=Channel)
    message_key = models.CharField(_("メッセージキー"), max_length=100)
    # The text foreign keys have no index: only deleting a text looks rows up by them (PROTECT),
    # which is rare and may scan; an index each would cost every delivery row ~14 bytes.
    stage_message = models.ForeignKey(
        "content.StageMessage",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("ステージメッセージ"),
    )
    special_message = models.ForeignKey(
        "content.SpecialMessage",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("特別メッセージ"),
    )
    birthday_message = models.ForeignKey(
        "content.BirthdayMessage",
        on_delete=models.PROTECT,
        db_index=False,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("誕生日メッセージ"),
    )
    due_on = models.DateField(_("配信日"))
    status = models.CharField(_("状態"), max_length=10, choices=Status, default=Status.PLANNED)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    last_error = models.CharField(_("最後のエラー"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("次の試行日時"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("処理中の期限"), null=True, blank=True)
    claimed_by = models.CharField(_("処理中のワーカー"), max_length=100, blank=True, db_default="")
    provider_message_id = models.CharField(_("送信先のメッセージID"), max_length=200, blank=True)
    retry_key = models.UUIDField(
        _("再送キー"),
        null=True,
        blank=True,
        help_text=_(
            "このメッセージを運んだLINEへのリクエストの再送キー（X-Line-Retry-Key）。"
            "応答のなかった送信は同じキー・同じ宛先でやり直します。"
        ),
    )
    text_versions = models.JSONField(
        _("送った文面の版"),
        default=dict,
        blank=True,
        help_text=_("送信時に使ったメッセージとお知らせの履歴ID。"),
    )
    feedback = models.CharField(_("到達状況"), max_length=12, choices=Feedback, blank=True)
    feedback_at = models.DateTimeField(_("到達状況の更新日時"), null=True, blank=True)
    planned_at = models.DateTimeField(_("予定日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("配信")
        verbose_name_plural = _("配信")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "message_key"], name="deliver_each_message_once_anywhere"
            ),
        ]
        indexes = [
            # Senders claim due work: only unsent rows are indexed, so the index stays small. In
            # the claim's order, so that a claim reads its batch rather than sorting every row of
            # a national morning (they share one next_attempt_at).
            models.Index(
                fields=["next_attempt_at", "due_on", "id"],
                condition=models.Q(status__in=["planned", "sending"]),
                name="delivery_pending_idx",
            ),
            # A municipality's longest-waiting delivery, for the dashboard. "Not finished" rather
            # than "planned or sending", so that PostgreSQL can't answer a one-municipality query
            # by walking the claim index above through every other municipality's rows.
            models.Index(
                fields=["municipality", "next_attempt_at"],
                condition=~models.Q(status__in=FINISHED_STATUSES),
                name="delivery_unfinished_place_idx",
            ),
            models.Index(
                fields=["due_on", "municipality", "channel", "status"],
                name="delivery_dashboard_idx",
            ),
            # The dashboard's latest failures and error breakdown read failed rows only.
            models.Index(
                fields=["due_on"],
                condition=models.Q(status="failed"),
                name="delivery_failed_idx",
            ),
            models.Index(
                fields=["last_error"],
                condition=models.Q(status="failed"),
                name="delivery_failed_reason_idx",
            ),
            # The rows that shared an unanswered LINE request, claimed together (delivery.claim).
            models.Index(
                fields=["retry_key"],
                condition=models.Q(status__in=["planned", "sending"], retry_key__isnull=False),
                name="delivery_unsent_retry_key_idx",
            ),
            # Tracking webhooks look a message up by its provider id, by equality only: a hash
            # index stores 4 bytes a row where a B-tree stores the whole id (about 78 → 25 B/row).
            HashIndexOnPostgres(
                fields=["provider_message_id"],
                condition=~models.Q(provider_message_id=""),
                name="delivery_provider_id_hash",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_key} → {self.subscriber} ({self.get_channel_display()})"


class SentMessage(models.Model):
    """What a reader was sent, kept after its delivery row is rolled up (:mod:`delivery.retention`).

    The delivery row carries what sending needs (claims, retries, provider ids, text versions,
    seven indexes) and goes a few days after its day; this is the slim record that stays, for the
    reader's data download: about a quarter of the row's bytes.
    """

    subscriber = models.ForeignKey(
        "subscribers.Subscriber",
        on_delete=models.CASCADE,
        related_name="sent_messages",
        verbose_name=_("読者"),
    )
    due_on = models.DateField(_("配信日"))
    channel = models.CharField(_("チャネル"), max_length=10, choices=Channel)
    message_key = models.CharField(_("メッセージキー"), max_length=100)

    class Meta:
        verbose_name = _("送信済みメッセージの記録")
        verbose_name_plural = _("送信済みメッセージの記録")
        # A day's records share one date: B-tree deduplication keeps this at a few bytes a row.
        indexes = [models.Index(fields=["due_on"], name="sentmessage_day_idx")]

    def __str__(self) -> str:
        return f"{self.due_on} {self.message_key} → {self.subscriber} ({self.channel})"


class PlanRun(models.Model):
    """One planned day of one municipality: the planner's memory of what it has done."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="plan_runs",
        verbose_name=_("自治体"),
    )
    day = models.DateField(_("配信日"))
    started_at = models.DateTimeField(_("開始日時"))
    finished_at = models.DateTimeField(_("終了日時"))

    class Meta:
        verbose_name = _("配信計画の実行")
        verbose_name_plural = _("配信計画の実行")
        ordering = ["-day", "municipality"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "day"], name="plan_each_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.day}"


class DayCount(models.Model):
    """Exact counts of one day's deliveries per municipality, channel and status.

    Kept by :mod:`delivery.stats` so the dashboard reads a few hundred rows rather than
    aggregating millions; the counts also outlive the rows (an erased reader's deliveries go,
    what was sent that day stays counted). ``rolled_up`` is the part of ``count`` whose rows
    :mod:`delivery.retention` has deleted: a recount adds it to the rows still there.
    """

    day = models.DateField(_("配信日"))
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    channel = models.CharField(_("チャネル"), max_length=10, choices=Channel)
    status = models.CharField(_("状態"), max_length=10, choices=Delivery.Status)
    count = models.PositiveIntegerField(_("件数"))
    rolled_up = models.PositiveIntegerField(
        _("まとめ済みの件数"),
        db_default=0,
        help_text=_("件数のうち、保存期間を過ぎて配信の行を削除した分（delivery.retention）。"),
    )
    counted_at = models.DateTimeField(_("集計日時"))

    class Meta:
        verbose_name = _("日ごとの配信件数")
        verbose_name_plural = _("日ごとの配信件数")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "municipality", "channel", "status"], name="one_count_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.status}: {self.count}"


class SendTally(models.Model):
    """Send outcomes per minute, written once per batch: the dashboard's sending rate."""

    minute = models.DateTimeField(_("分"))
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    channel = models.CharField(_("チャネル"), max_length=10, choices=Channel)
    outcome = models.CharField(_("結果"), max_length=10)
    count = models.PositiveIntegerField(_("件数"))

    class Meta:
        verbose_name = _("分ごとの送信件数")
        verbose_name_plural = _("分ごとの送信件数")
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "municipality", "channel", "outcome"],
                name="one_tally_per_minute",
            )
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.channel} {self.outcome}: {self.count}"


class ForecastCount(models.Model):
    """Tomorrow onwards, as the planner would plan it today; rewritten daily."""

    made_on = models.DateField(_("予測した日"))
    day = models.DateField(_("配信日"))
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    channel = models.CharField(_("チャネル"), max_length=10, choices=Channel)
    count = models.PositiveIntegerField(_("件数"))
    requests = models.PositiveIntegerField(
        _("リクエスト数"),
        db_default=0,
        help_text=_(
            "LINE: この件数を送るAPIリクエストの数（自治体の「LINEでもニックネームで呼びかける」"
            "設定による。ニックネームのある読者は一人ずつ、ほかは時期ごとにまとめて送信）。"
        ),
    )

    class Meta:
        verbose_name = _("配信件数の予測")
        verbose_name_plural = _("配信件数の予測")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "municipality", "channel"], name="one_forecast_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.count}"


class Heartbeat(models.Model):
    """When a periodic job last ran (the planner's tick): what /healthz and the dashboard read."""

    name = models.CharField(_("名前"), max_length=50, unique=True)
    at = models.DateTimeField(_("日時"))
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    class Meta:
        verbose_name = _("定期処理の実行記録")
        verbose_name_plural = _("定期処理の実行記録")

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"


class LineWebhookEvent(models.Model):
    """A LINE webhook event already applied, by its ``webhookEventId``.

    LINE redelivers an event whose first delivery got no 200 (``isRedelivery``), and may send
    one twice: the unique id makes applying it a second time impossible. Follows and blocks
    keep their user and time, so an older one arriving late never undoes a newer one. Pruned
    after ``KIZUNA_LINE_EVENT_KEEP_DAYS`` (:mod:`delivery.retention`), well past LINE's retries.
    """

    webhook_event_id = models.CharField(_("イベントID"), max_length=64, unique=True)
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    user_id = models.CharField(_("LINEユーザーID"), max_length=33, blank=True)
    kind = models.CharField(_("種類"), max_length=20)
    occurred_at = models.DateTimeField(_("発生日時"))
    received_at = models.DateTimeField(_("受信日時"))

    class Meta:
        verbose_name = _("LINEのWebhookイベント")
        verbose_name_plural = _("LINEのWebhookイベント")
        indexes = [
            # The latest follow or block of a user, which decides whether a late one applies.
            models.Index(
                fields=["municipality", "user_id", "occurred_at"],
                condition=models.Q(kind__in=["follow", "unfollow"]),
                name="line_event_follow_idx",
            ),
            models.Index(fields=["received_at"], name="line_event_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.webhook_event_id}"
