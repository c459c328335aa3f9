import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kizuna.choices import Cadence

from .codes import PREFECTURES, code_problem, prefecture_of


def validate_local_government_code(value: str) -> None:
    problem = code_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_local_government_code")


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def active(self) -> "MunicipalityQuerySet":
        return self.filter(paused=False)

    def for_user(self, user) -> "MunicipalityQuerySet":
        """The tenants a staff user works for; all of them for superusers and operators."""
        if user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists():
            return self
        return self.filter(memberships__user=user)


OPERATORS_GROUP = "オペレーター"
CONTENT_EDITORS_GROUP = "全国コンテンツ編集者"


def send_only_reviewed_default() -> bool:
    """「監修済みの本文だけを送る」 for a new municipality: on, unless the site runs with DEBUG."""
    return bool(settings.KIZUNA_SEND_ONLY_REVIEWED_DEFAULT)


class Municipality(models.Model):
    """A tenant: a municipality (自治体版) or a maternity hospital (医療機関版)."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("自治体")
        HOSPITAL = "hospital", _("医療機関")

    kind = models.CharField(_("種別"), max_length=20, choices=Kind, default=Kind.MUNICIPALITY)
    name = models.CharField(
        _("名称"), max_length=100, help_text=_("例: 江東区、きよせの森総合病院")
    )
    prefecture = models.CharField(
        _("都道府県"), max_length=4, choices=[(p, p) for p in PREFECTURES]
    )
    code = models.CharField(
        _("市区町村コード"),
        max_length=6,
        unique=True,
        validators=[validate_local_government_code],
        help_text=_("検査数字を含む6桁（例: 江東区は131083）。医療機関は所在地の市区町村コード。"),
    )
    slug = models.SlugField(
        _("URL名"),
        unique=True,
        help_text=_("登録ページのURLに使われます（/m/<URL名>/）。半角英数字とハイフン。"),
    )
    service_name = models.CharField(
        _("サービス名"),
        max_length=100,
        help_text=_("読者に表示される名前。例: こんにちは赤ちゃんメール"),
    )
    sender_name = models.CharField(_("差出人名"), max_length=100)
    sender_email = models.EmailField(_("差出人メールアドレス"))
    delivery_time = models.TimeField(
        _("配信時刻"),
        default=datetime.time(7, 30),
        help_text=_("毎日この時刻（日本時間）に配信します。"),
    )
    programme_months = models.PositiveSmallIntegerField(
        _("出生後の配信期間（か月）"),
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(84)],
        help_text=_("36か月で3歳の誕生日まで。就学前まで延長する場合は72か月など。"),
    )
    programme_to_first_grade = models.BooleanField(
        _("小学1年生の3月まで配信"),
        default=False,
        help_text=_(
            "オンにすると、子どもが小学1年生を終える3月31日まで配信します（上の配信期間より優先）。"
        ),
    )
    # How often each band of the programme writes (content.programme.BANDS); the presets
    # 「毎日（きずなメール型）」「週1回」「軽め」 fill them in the admin.
    cadence_pregnancy = models.CharField(
        _("妊娠中"),
        max_length=16,
        choices=[(c.value, c.label) for c in (Cadence.DAILY, Cadence.WEEKLY)],
        default=Cadence.WEEKLY,
    )
    cadence_newborn = models.CharField(
        _("生後0〜100日"),
        max_length=16,
        choices=[(c.value, c.label) for c in (Cadence.DAILY, Cadence.WEEKLY)],
        default=Cadence.WEEKLY,
    )
    cadence_infant = models.CharField(
        _("生後100日〜1歳"),
        max_length=16,
        choices=[
            (c.value, c.label) for c in (Cadence.EVERY_3_DAYS, Cadence.WEEKLY, Cadence.MONTHLY)
        ],
        default=Cadence.MONTHLY,
    )
    cadence_age_one = models.CharField(
        _("1歳"),
        max_length=16,
        choices=[
            (c.value, c.label) for c in (Cadence.WEEKLY, Cadence.EVERY_14_DAYS, Cadence.MONTHLY)
        ],
        default=Cadence.MONTHLY,
    )
    cadence_age_two = models.CharField(
        _("2歳"),
        max_length=16,
        choices=[
            (c.value, c.label) for c in (Cadence.EVERY_14_DAYS, Cadence.WEEKLY, Cadence.MONTHLY)
        ],
        default=Cadence.MONTHLY,
    )
    cadence_preschool = models.CharField(
        _("3歳から配信の終わりまで"),
        max_length=16,
        choices=[(c.value, c.label) for c in (Cadence.MONTHLY, Cadence.WEEKLY, Cadence.OFF)],
        default=Cadence.MONTHLY,
    )
    email_enabled = models.BooleanField(_("メール配信"), default=True)
    line_enabled = models.BooleanField(_("LINE配信"), default=False)
    line_friend_url = models.URLField(
        _("LINE友だち追加URL"),
        blank=True,
        help_text=_(
            "LINE公式アカウントの友だち追加リンク（例: https://lin.ee/xxxx）。登録ページに表示します。"
            "チャネルのトークンとシークレットは環境変数 LINE_CHANNEL_ACCESS_TOKEN_<URL名> と "
            "LINE_CHANNEL_SECRET_<URL名> に設定します。"
        ),
    )
    line_monthly_quota = models.PositiveIntegerField(
        _("LINEの月間メッセージ数の上限"),
        null=True,
        blank=True,
        help_text=_(
            "LINE公式アカウントの料金プランで送れる月間のメッセージ数（例: 200、5000、30000）。"
            "運用画面で今月の送信数と予測を比べます。空欄なら比べません。"
        ),
    )
    line_nicknames = models.BooleanField(
        _("LINEでもニックネームで呼びかける"),
        default=True,
        help_text=_(
            "オンにすると、ニックネームのある読者へのLINEは一人ずつのプッシュ送信になります"
            "（リクエスト数が増え、送信に時間がかかります。月間メッセージ数は変わりません）。"
            "オフにすると、同じ時期の読者にはニックネームなしの同じ文面を一斉送信（マルチキャスト）"
            "でまとめて送ります。メールはどちらでもニックネームで呼びかけます。"
        ),
    )
    send_only_reviewed = models.BooleanField(
        _("監修済みの本文だけを送る"),
        default=send_only_reviewed_default,
        help_text=_(
            "オンのとき、医療監修で承認された版の本文だけを送ります。承認のない段階の日は何も送らず、"
            "運用画面とカバレッジに表示します。オフにする（未監修の本文も送る）と監査記録に残ります。"
        ),
    )
    paused = models.BooleanField(
        _("配信を一時停止中"),
        default=False,
        help_text=_("停止中の配信は待機し、再開時に失われず二重にもなりません。"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = MunicipalityQuerySet.as_manager()
    history = HistoricalRecords(verbose_name=_("自治体・医療機関の設定の履歴"))

    class Meta:
        verbose_name = _("自治体・医療機関")
        verbose_name_plural = _("自治体・医療機関")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_enabled=True) | models.Q(line_enabled=True),
                name="municipality_has_a_channel",
                violation_error_message=_("メールかLINEのどちらかは有効にしてください。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefecture}{self.name}" if self.kind == self.Kind.MUNICIPALITY else self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.code
            and not code_problem(self.code)
            and prefecture_of(self.code) != self.prefecture
        ):
            raise ValidationError(
                {
                    "prefecture": _("市区町村コードの都道府県（%(p)s）と一致しません。")
                    % {"p": prefecture_of(self.code)}
                }
            )


class ConsultationContact(models.Model):
    """Where a family can ask for help: listed in loss messages and on the manage page."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("自治体")
    )
    name = models.CharField(_("窓口名"), max_length=100, help_text=_("例: 保健センター 母子保健係"))
    phone = models.CharField(_("電話番号"), max_length=30, blank=True)
    hours = models.CharField(_("受付時間"), max_length=100, blank=True)
    note = models.CharField(_("補足"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("相談窓口")
        verbose_name_plural = _("相談窓口")
        ordering = ["municipality", "order", "id"]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """Which user works for which municipality, and what they may do there."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("編集者")
        VIEWER = "viewer", _("閲覧者")
        # Reads a municipality's pages like a viewer, and alone sees families' names and their
        # questionnaire answers in the follow-up queue (followups).
        HEALTH = "health", _("保健師（母子保健）")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("ユーザー"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("自治体"),
    )
    role = models.CharField(_("役割"), max_length=10, choices=Role, default=Role.VIEWER)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("職員の所属")
        verbose_name_plural = _("職員の所属")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="one_role_per_municipality"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.municipality} ({self.get_role_display()})"
