from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OperatorAction(models.Model):
    """Who paused, resumed, retried or cancelled what, and when. Written once, never changed."""

    class Kind(models.TextChoices):
        PAUSE = "pause", _("一時停止")
        RESUME = "resume", _("再開")
        RETRY = "retry", _("再試行")
        CANCEL = "cancel", _("取り消し")

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("実行した人"),
    )
    username = models.CharField(_("ユーザー名"), max_length=150)
    kind = models.CharField(_("操作"), max_length=10, choices=Kind)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("自治体"),
    )
    affected = models.PositiveIntegerField(_("対象の件数"), default=0)
    detail = models.JSONField(_("内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("運用操作の記録")
        verbose_name_plural = _("運用操作の記録")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_kind_display()}"
