from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .wording import describe


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):
        raise PermissionError("監査ログは変更できません。")


class AuditEvent(models.Model):
    """Who did what, when, from where: model and id only, never the personal data itself.

    Append-only: saving an existing row or deleting one raises; only the retention job
    (:func:`audit.services.prune`) removes rows, once they are older than the retention period.
    """

    class Action(models.TextChoices):
        VIEW_PERSONAL = "view", _("個人情報の閲覧")
        EXPORT = "export", _("書き出し")
        CHANGE = "change", _("変更")
        OPERATOR = "operator", _("運用操作")
        LOGIN = "login", _("ログイン")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        LOGOUT = "logout", _("ログアウト")
        TWO_FACTOR = "2fa", _("二要素認証の変更")
        TWO_FACTOR_FAILED = "2fa_failed", _("二要素認証の失敗")
        UNLOCK = "unlock", _("ロック解除")

    at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ユーザー"),
    )
    username = models.CharField(_("ユーザー名"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=12, choices=Action, db_index=True)
    target = models.CharField(
        _("対象"), max_length=100, blank=True, help_text=_("モデル名またはページ名")
    )
    target_id = models.CharField(_("対象のID"), max_length=100, blank=True)
    ip = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    path = models.CharField(_("URL"), max_length=300, blank=True)
    detail = models.JSONField(_("内容"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("監査ログは変更できません。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("監査ログは削除できません。")

    @property
    def description(self) -> str:
        """What happened, in words: 「読者（ID 12）を閲覧」."""
        return describe(self.action, self.get_action_display(), self.target, self.target_id)
