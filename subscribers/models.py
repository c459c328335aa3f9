from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from content.models import Audience
from content.stages import Track
from kizuna import email_addresses
from kizuna.choices import LANGUAGE_CODE_MAX_LENGTH, Channel, Language
from kizuna.email_addresses import MailboxField
from municipalities.models import Municipality


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def confirmed(self) -> "SubscriberQuerySet":
        """Readers who clicked their confirmation and have not left."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)

    def reachable(self) -> "SubscriberQuerySet":
        """Confirmed readers whose chosen channel still works (no hard bounce, no LINE block)."""
        return self.confirmed().filter(channel_stopped_at__isnull=True)

    def for_municipality(self, municipality: Municipality) -> "SubscriberQuerySet":
        return self.filter(municipality=municipality)

    def at_address(self, address: str) -> "SubscriberQuerySet":
        """Readers at ``address`` in its one normalised form, compared as ``lower(email)``: the
        expression the unique index (municipality, lower(email)) is built on, so the lookup is
        an index probe at any size (``email__iexact`` compares UPPER() and scans)."""
        return self.alias(address=Lower("email")).filter(
            email__isnull=False, address=email_addresses.normalize(address)
        )

    def holding(self, address: str) -> "Subscriber | None":
        """The reader at ``address`` (one at most per municipality), or None.

        Not ``.first()``: PostgreSQL keeps no statistics for a partial expression index and
        expects hundreds of matches, so ``ORDER BY id LIMIT 1`` is planned as a walk along the
        primary key through every reader; without the ORDER BY it is one probe of the index.
        """
        return next(iter(self.at_address(address).order_by()[:1]), None)


class Subscriber(models.Model):
    """A reader: a parent, partner, grandparent or other family member."""

    class Relationship(models.TextChoices):
        SELF = "self", _("本人（妊娠中・出産した方）")
        PARTNER = "partner", _("パートナー")
        GRANDPARENT = "grandparent", _("祖父母")
        OTHER = "other", _("その他")

    class Source(models.TextChoices):
        SIGNUP = "signup", _("登録ページ")
        INVITE = "invite", _("家族の招待")
        IMPORT = "import", _("移行")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="subscribers",
        verbose_name=_("自治体"),
    )
    # NULL, not "", for "no address": the unique constraints below ignore NULLs, and erasure
    # after the retention period leaves no trace of the address.
    email = MailboxField(_("メールアドレス"), null=True, blank=True)
    line_user_id = models.CharField(  # noqa: DJ001
        _("LINEユーザーID"), max_length=64, null=True, blank=True
    )
    channel = models.CharField(_("配信方法"), max_length=10, choices=Channel, default=Channel.EMAIL)
    relationship = models.CharField(
        _("子どもとの関係"), max_length=20, choices=Relationship, default=Relationship.SELF
    )
    nickname = models.CharField(_("ニックネーム"), max_length=30, blank=True)
    language = models.CharField(
        _("言語"), max_length=LANGUAGE_CODE_MAX_LENGTH, choices=Language, default=Language.JA
    )
    source = models.CharField(_("登録経路"), max_length=10, choices=Source, default=Source.SIGNUP)
    signup_tag = models.CharField(
        _("登録のきっかけ"),
        max_length=30,
        blank=True,
        help_text=_("チラシのQRコードなど、登録ページのURLの src= の値（例: boshitecho）。"),
    )
    consent_at = models.DateTimeField(_("同意日時"))
    consent_policy_version = models.CharField(_("同意したプライバシーポリシーの版"), max_length=20)
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("配信停止日時"), null=True, blank=True)
    unsubscribe_reason = models.CharField(_("配信停止の理由"), max_length=200, blank=True)
    channel_stopped_at = models.DateTimeField(
        _("配信方法の停止日時"),
        null=True,
        blank=True,
        help_text=_("宛先不明・ブロックなどで、選んだ配信方法に届けられなくなった日時。"),
    )
    channel_stop_reason = models.CharField(_("配信方法の停止理由"), max_length=200, blank=True)
    erased_at = models.DateTimeField(
        _("連絡先の消去日時"),
        null=True,
        blank=True,
        help_text=_("配信停止後の保存期間を過ぎ、メールアドレスとLINE IDを消去した日時。"),
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    children = models.ManyToManyField(
        "Child", through="Subscription", related_name="followers", verbose_name=_("子ども")
    )

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("読者")
        verbose_name_plural = _("読者")
        constraints = [
            models.UniqueConstraint(
                "municipality",
                Lower("email"),
                condition=models.Q(email__isnull=False),
                name="one_subscriber_per_email",
                violation_error_message=_("このメールアドレスはすでに登録されています。"),
            ),
            models.UniqueConstraint(
                fields=["municipality", "line_user_id"],
                condition=models.Q(line_user_id__isnull=False),
                name="one_subscriber_per_line_user",
            ),
            models.CheckConstraint(
                condition=models.Q(erased_at__isnull=False)
                | models.Q(channel="email", email__isnull=False)
                | models.Q(channel="line", line_user_id__isnull=False),
                name="subscriber_reachable_on_channel",
                violation_error_message=_("選んだ配信方法の連絡先がありません。"),
            ),
        ]
        indexes = [models.Index(fields=["unsubscribed_at"], name="subscriber_unsubscribed_idx")]

    def __str__(self) -> str:
        return f"{_('読者')} #{self.pk}"

    @property
    def audience(self) -> str:
        """Which variant of a stage message this reader gets first."""
        return {
            self.Relationship.PARTNER: Audience.PARTNER,
            self.Relationship.GRANDPARENT: Audience.GRANDPARENT,
        }.get(self.relationship, Audience.EVERYONE)

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class ChildQuerySet(models.QuerySet["Child"]):
    def followed(self) -> "ChildQuerySet":
        """Pregnancies and children still in the programme."""
        return self.filter(status__in=[Child.Status.EXPECTING, Child.Status.BORN])


class Child(models.Model):
    """A pregnancy, then a child: what the family follows. One report changes it for everyone."""

    class Status(models.TextChoices):
        EXPECTING = "expecting", _("妊娠中")
        BORN = "born", _("出生")
        LOST = "lost", _("死産・流産などで終了")
        GRADUATED = "graduated", _("配信期間終了")
        CANCELLED = "cancelled", _("取り消し")

    class Loss(models.TextChoices):
        MISCARRIAGE = "miscarriage", _("流産")
        STILLBIRTH = "stillbirth", _("死産")
        INFANT_DEATH = "infant_death", _("お子さまの死亡")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="children", verbose_name=_("自治体")
    )
    due_date = models.DateField(_("出産予定日"), null=True, blank=True)
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=12, choices=Status, default=Status.EXPECTING)
    loss = models.CharField(_("お別れの種類"), max_length=12, choices=Loss, blank=True)
    status_changed_at = models.DateTimeField(_("状態の変更日時"), null=True, blank=True)
    stages_checked_until = models.DateField(
        _("送信済みの確認を続ける日"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "出産予定日や生年月日が後ろにずれると、すでに送った週数・月齢をもう一度迎えます。"
            "この日までは、週数・月齢と誕生日のメッセージを送る前に送信済みの記録を確かめます。"
        ),
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("妊娠・子ども")
        verbose_name_plural = _("妊娠・子ども")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_date__isnull=False) | models.Q(birth_date__isnull=False),
                name="child_has_an_anchor",
                violation_error_message=_("出産予定日か生年月日のどちらかが必要です。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="born") | models.Q(birth_date__isnull=False),
                name="born_child_has_birth_date",
                violation_error_message=_("出生済みの場合は生年月日が必要です。"),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="lost") | ~models.Q(loss=""),
                name="lost_child_has_loss_kind",
            ),
        ]
        indexes = [
            # The planner looks families up by anchor date among those still followed.
            models.Index(
                fields=["municipality", "due_date"],
                condition=models.Q(status="expecting"),
                name="child_expecting_due_idx",
            ),
            models.Index(
                fields=["municipality", "birth_date"],
                condition=models.Q(status="born"),
                name="child_born_birth_idx",
            ),
            # The few children whose stages are checked against the sent records (planner).
            models.Index(
                fields=["stages_checked_until"],
                condition=models.Q(stages_checked_until__isnull=False),
                name="child_checked_until_idx",
            ),
        ]

    def __str__(self) -> str:
        if self.status == self.Status.EXPECTING:
            return f"{_('出産予定日')} {self.due_date:%Y-%m-%d}"
        if self.birth_date:
            return f"{_('生年月日')} {self.birth_date:%Y-%m-%d}"
        return f"{_('妊娠・子ども')} #{self.pk}"

    @property
    def track(self) -> Track:
        return (
            Track.CHILD
            if self.status != self.Status.EXPECTING and self.birth_date
            else (Track.PREGNANCY)
        )

    def fitting_losses(self) -> list[str]:
        """The kinds of loss a family can report: 流産・死産 in pregnancy, a child's death after."""
        if self.status == self.Status.EXPECTING:
            return [self.Loss.MISCARRIAGE, self.Loss.STILLBIRTH]
        return [self.Loss.INFANT_DEATH]

    @property
    def anchor(self):
        """The date stages count from: the birth date once known, else the due date."""
        return self.birth_date if self.track == Track.CHILD else self.due_date


class Subscription(models.Model):
    """A reader following a pregnancy or child."""

    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("読者"),
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("妊娠・子ども"),
    )
    created_at = models.DateTimeField(_("開始日時"), auto_now_add=True)
    ended_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("フォロー")
        verbose_name_plural = _("フォロー")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "child"], name="follow_a_child_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} → {self.child}"
