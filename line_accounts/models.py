from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class LineAccountSettings(models.Model):
    """How Kizuna uses a municipality's LINE official account, beside what Municipality holds.

    A municipality without a row has the defaults (see :func:`line_accounts.selectors.of`).
    """

    municipality = models.OneToOneField(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="line_account_settings",
        verbose_name=_("自治体"),
    )
    flex_messages = models.BooleanField(
        _("時期のメッセージをカード形式（Flex Message）で送る"),
        default=False,
        help_text=_(
            "見出し（妊娠20週0日・生後4か月など）、本文、お知らせ、「設定」「相談窓口」のボタンを"
            "1枚のカードにして送ります。LINEの大きさの上限を超える日は、これまでどおりの"
            "テキストで送ります。"
        ),
    )
    relay_url = models.URLField(
        _("イベントの転送先（ほかのLINEツールのWebhook URL）"),
        blank=True,
        help_text=_(
            "このアカウントのWebhookをすでに使っているツールがある場合に入力します。"
            "Kizunaが受け取ったイベントを、同じチャネルシークレットで署名して、ユーザーごとに順番どおり"
            "転送します（届かなければ間隔をあけて再送します）。"
        ),
    )
    push_only = models.BooleanField(
        _("プッシュ配信のみ（Webhookを使わない）"),
        default=False,
        help_text=_(
            "このアカウントのWebhookをほかのツールが使っていて、転送もしない場合に選びます。"
            "時期のメッセージは、Web登録のLINE連携（連携コード）で登録した方にプッシュで届きます。"
            "Kizunaはイベントを受け取らないため、トークでの登録、トークの「設定」「配信停止」などの"
            "コマンド、ブロックの検知、カードのボタンは使えません（Kizuna宛のWebhookは拒否して記録します）。"
        ),
    )
    mark_as_read = models.BooleanField(
        _("返答するメッセージに既読をつける"),
        default=False,
        help_text=_(
            "LINE Official Account Managerで「チャット」をオンにしている場合に使います"
            "（オフのときはLINEが自動で既読にします）。失敗しても返答は届きます。"
        ),
    )
    loading_animation = models.BooleanField(
        _("返答を準備するあいだ「読み込み中」を表示する"),
        default=False,
        help_text=_("1対1のトークだけに表示します（グループ・複数人トークには出ません）。"),
    )
    stage_statistics = models.BooleanField(
        _("時期ごとの開封数・クリック数を集計する"),
        default=False,
        help_text=_(
            "時期のメッセージに集計単位（妊娠20週、生後4か月など）をつけて送り、毎晩LINEの統計を"
            "取り込みます。20人未満の値はLINEが返さないため「少数のため非表示」と表示します。"
        ),
    )

    class TokenKind(models.TextChoices):
        STATIC = "static", _("環境変数のトークン（LINE_CHANNEL_ACCESS_TOKEN_…）")
        V2_1 = "v2.1", _("チャネルアクセストークンv2.1（アサーション署名キーで発行）")
        STATELESS = "stateless", _("ステートレスチャネルアクセストークン（15分）")

    token_kind = models.CharField(
        _("チャネルアクセストークン"),
        max_length=10,
        choices=TokenKind,
        default=TokenKind.STATIC,
        help_text=_(
            "v2.1とステートレスは、Kizunaが自分のトークンを発行します。長期のトークンを再発行しないので、"
            "ほかのツールが使っているトークンが無効になることはありません。"
        ),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("LINE公式アカウントの設定")
        verbose_name_plural = _("LINE公式アカウントの設定")

    def __str__(self) -> str:
        return str(self.municipality)

    def clean(self) -> None:
        if self.push_only and self.relay_url:
            raise ValidationError(
                {
                    "push_only": _(
                        "プッシュ配信のみの場合はWebhookを受け取らないため、イベントの転送先は"
                        "設定できません。どちらか一方を選んでください。"
                    )
                }
            )


class RichMenuLink(models.Model):
    """The stage menu a LINE user was last linked to, so the daily switch links only those
    whose menu changes (a birth, a first birthday). Deleted with the reader at erasure."""

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    line_user_id = models.CharField(_("LINEユーザーID"), max_length=33)
    menu = models.CharField(_("メニュー"), max_length=20)
    linked_at = models.DateTimeField(_("切り替えた日時"))

    class Meta:
        verbose_name = _("リッチメニューの切り替え")
        verbose_name_plural = _("リッチメニューの切り替え")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "line_user_id"], name="one_rich_menu_link_per_user"
            )
        ]

    def __str__(self) -> str:
        return self.menu


class RelayEvent(models.Model):
    """A LINE webhook event kept for the municipality's other LINE tool, until that tool took it.

    Unique by LINE's webhookEventId (a redelivered event is kept once); sent one at a time, in
    arrival order per LINE user: a later event of a user waits while an earlier one is retried.
    """

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    webhook_event_id = models.CharField(_("イベントID"), max_length=64)
    user_id = models.CharField(_("LINEユーザーID"), max_length=33, blank=True)
    destination = models.CharField(_("宛先"), max_length=64, blank=True)
    event = models.JSONField(_("イベント"))
    received_at = models.DateTimeField(_("受信日時"))
    attempts = models.PositiveIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の試行"))
    sent_at = models.DateTimeField(_("転送日時"), null=True, blank=True)
    last_error = models.CharField(_("最後のエラー"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("転送するLINEイベント")
        verbose_name_plural = _("転送するLINEイベント")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "webhook_event_id"], name="relay_event_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["municipality", "id"],
                condition=models.Q(sent_at__isnull=True),
                name="relay_event_pending",
            )
        ]

    def __str__(self) -> str:
        return self.webhook_event_id


class ChannelToken(models.Model):
    """A channel access token Kizuna issued for itself (v2.1 by JWT assertion, or stateless),
    so that it never needs the long-lived token another tool holds.

    The token is stored encrypted (:mod:`line_accounts.tokens`); ``key_id`` is LINE's id of a
    v2.1 token, the only handle Kizuna revokes by: it never touches a token it did not issue.
    """

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    kind = models.CharField(_("種類"), max_length=10, choices=LineAccountSettings.TokenKind)
    key_id = models.CharField(_("キーID"), max_length=100, blank=True)
    encrypted_token = models.TextField(_("トークン（暗号化）"))
    issued_at = models.DateTimeField(_("発行日時"))
    expires_at = models.DateTimeField(_("有効期限"))
    revoked_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("発行したチャネルアクセストークン")
        verbose_name_plural = _("発行したチャネルアクセストークン")
        indexes = [
            models.Index(fields=["municipality", "-expires_at"], name="channel_token_latest")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key_id}"


class StageInsight(models.Model):
    """What LINE's Insight API counted for one aggregation unit (a stage: 妊娠20週, 生後4か月)
    on one day: readers who opened and who tapped a link. None is LINE's null: fewer than 20."""

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    unit = models.CharField(_("集計単位"), max_length=30)
    day = models.DateField(_("日付"))
    opened = models.PositiveIntegerField(_("開封した人数"), null=True, blank=True)
    clicked = models.PositiveIntegerField(_("URLをタップした人数"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("取得日時"))

    class Meta:
        verbose_name = _("時期ごとの開封・クリック数")
        verbose_name_plural = _("時期ごとの開封・クリック数")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "unit", "day"], name="one_stage_insight_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.day}"
