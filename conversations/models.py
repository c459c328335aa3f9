from django.db import models
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    """Where one LINE user is in a chat procedure (signing up, reporting a loss), kept on the
    server so that every tap and typed reply is checked against the step it answers.

    One row per user and account; it expires (``KIZUNA_LINE_CONVERSATION_HOURS``) and expired
    rows are deleted whenever a conversation is written. ``data`` holds only what the steps
    collected (a date, a relationship, child ids), never free text.
    """

    class Topic(models.TextChoices):
        SIGNUP = "signup", _("登録")
        LOSS = "loss", _("悲しいお知らせ")

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, verbose_name=_("自治体")
    )
    line_user_id = models.CharField(_("LINEユーザーID"), max_length=33)
    topic = models.CharField(_("手続き"), max_length=10, choices=Topic)
    step = models.CharField(_("段階"), max_length=20)
    data = models.JSONField(_("入力済みの内容"), default=dict)
    updated_at = models.DateTimeField(_("更新日時"))
    expires_at = models.DateTimeField(_("有効期限"), db_index=True)

    class Meta:
        verbose_name = _("LINEトークでの手続き")
        verbose_name_plural = _("LINEトークでの手続き")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "line_user_id"], name="one_conversation_per_line_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()}（{self.step}）"
