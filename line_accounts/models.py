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
