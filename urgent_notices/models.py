from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from content import validators
from delivery.outbox import MessageKey

MESSAGE_KIND = "urgent"  # the kind of its deliveries' message keys (delivery.outbox)


class UrgentNoticeQuerySet(models.QuerySet["UrgentNotice"]):
    def for_municipalities(self, municipalities) -> "UrgentNoticeQuerySet":
        return self.filter(municipality__in=municipalities)

    def due(self, now) -> "UrgentNoticeQuerySet":
        """Approved notices whose sending time has come but whose deliveries are not written."""
        return self.filter(status=UrgentNotice.Status.SCHEDULED, send_at__lte=now)


class UrgentNotice(models.Model):
    """A message to many readers at once, outside the stage calendar: a disaster, a shortage.

    Its deliveries carry the message key ``urgent:<id>``, one per reader and channel.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PENDING = "pending", _("承認待ち")
        SCHEDULED = "scheduled", _("送信予約済み")
        SENT = "sent", _("送信済み")
        CANCELLED = "cancelled", _("取り消し")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("配信中の全員")
        EXPECTING = "expecting", _("妊娠中の家族")
        CHILDREN = "children", _("お子さんの月齢で選ぶ")

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.PROTECT,
        related_name="urgent_notices",
        verbose_name=_("自治体"),
    )
    title = models.CharField(
        _("タイトル"),
        max_length=100,
        help_text=_("件名になります。例: 台風10号の接近に伴う乳幼児健診の中止について"),
    )
    body = models.TextField(
        _("本文（Markdown）"),
        help_text=_(
            "地域のお知らせと同じ書き方です。差し込み項目は {{ nickname }}、{{ municipality }}、"
            "{{ service_name }} が使えます。"
        ),
    )
    audience = models.CharField(
        _("送る相手"), max_length=10, choices=Audience, default=Audience.EVERYONE
    )
    age_months_from = models.PositiveSmallIntegerField(
        _("月齢（から）"), null=True, blank=True, validators=[MaxValueValidator(84)]
    )
    age_months_to = models.PositiveSmallIntegerField(
        _("月齢（まで）"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(84)],
        help_text=_("この月齢を含みます。例: 0〜11で1歳未満のお子さんの家族。"),
    )
    include_bereaved = models.BooleanField(
        _("お別れを報告された方にも送る"),
        default=False,
        help_text=_(
            "流産・死産などを報告された方には、ふだんは送りません。"
            "災害情報のように、その方にも必要なお知らせのときだけチェックしてください。"
        ),
    )
    send_at = models.DateTimeField(
        _("送信日時"),
        null=True,
        blank=True,
        help_text=_("空欄なら承認されしだいすぐに送ります。"),
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("作成者"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("承認者"),
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("取り消した人"),
    )
    submitted_at = models.DateTimeField(_("承認依頼日時"), null=True, blank=True)
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    queued_at = models.DateTimeField(_("配信登録日時"), null=True, blank=True)
    queued_on = models.DateField(_("配信日"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("送信先の数"), default=0)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = UrgentNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("緊急のお知らせ")
        verbose_name_plural = _("緊急のお知らせ")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="scheduled"),
                name="urgent_scheduled_idx",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def message_key(self) -> str:
        return str(MessageKey.for_record(MESSAGE_KIND, self.pk))

    @property
    def audience_label(self) -> str:
        if self.audience == self.Audience.CHILDREN:
            return f"生後{self.age_months_from}〜{self.age_months_to}か月のお子さんの家族"
        return str(self.get_audience_display())

    def clean(self) -> None:
        super().clean()
        if self.audience == self.Audience.CHILDREN:
            if self.age_months_from is None or self.age_months_to is None:
                raise ValidationError(
                    {
                        "age_months_to": _(
                            "月齢で選ぶときは、月齢の範囲（から・まで）を入れてください。"
                        )
                    }
                )
            if self.age_months_from > self.age_months_to:
                raise ValidationError(
                    {"age_months_to": _("月齢の範囲は「から」を「まで」以下にしてください。")}
                )
        # The same checks as local notices: known placeholders, safe Markdown, LINE's limit.
        validators.check_written_text(self, track=None, subject_field="title")
        if self.municipality_id and self.body:
            from .rendering import check_line_length

            check_line_length(self)
