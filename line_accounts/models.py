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
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("LINE公式アカウントの設定")
        verbose_name_plural = _("LINE公式アカウントの設定")

    def __str__(self) -> str:
        return str(self.municipality)


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
