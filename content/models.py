import datetime
import hashlib
from typing import Self, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kizuna.choices import LANGUAGE_CODE_MAX_LENGTH, Language

from . import validators
from .programme import stage_range_label
from .stages import Stage, Track, Unit, current_stage_number


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("全員（本人向け）")
    PARTNER = "partner", _("パートナー向け")
    GRANDPARENT = "grandparent", _("祖父母向け")


TRACK_CHOICES = [(Track.PREGNANCY.value, _("妊娠")), (Track.CHILD.value, _("子ども"))]
UNIT_CHOICES = [
    (Unit.DAY.value, _("日")),
    (Unit.WEEK.value, _("週")),
    (Unit.MONTH.value, _("か月")),
    (Unit.YEAR.value, _("歳")),
]


def content_hash(subject: str, body: str) -> str:
    """The hash a medical review signs: the subject and body exactly as they are sent."""
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()


class ContentHash(models.Func):
    """:func:`content_hash` in SQL (PostgreSQL's own sha256, no extension needed)."""

    template = "encode(sha256(convert_to(%(expressions)s, 'UTF8')), 'hex')"
    output_field = models.CharField()

    def __init__(self) -> None:
        super().__init__(Concat("subject", Value("\n"), "body", output_field=models.TextField()))


_Text = TypeVar("_Text", bound=models.Model)


class PublishedQuerySet(models.QuerySet[_Text]):
    def published(self) -> Self:
        return self.filter(published=True)

    def approved(self) -> Self:
        """Texts whose current subject and body are the version medical reviewers approved.

        Compared in SQL at the moment of asking: an edit after the approval (from the admin,
        the pack loader or a bulk update) is not approved, whoever forgot to say so.
        """
        return self.exclude(approved_hash="").filter(approved_hash=ContentHash())


class LocalNoticeQuerySet(PublishedQuerySet["LocalNotice"]):
    def for_municipality(self, municipality) -> "LocalNoticeQuerySet":
        return self.filter(municipality=municipality)

    def shown_on(self, day) -> "LocalNoticeQuerySet":
        """Notices whose date window (either end open) contains ``day``."""
        return self.filter(
            models.Q(starts_on__isnull=True) | models.Q(starts_on__lte=day),
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day),
        )

    def expiring(self, day, days: int) -> "LocalNoticeQuerySet":
        """Published notices whose window closes within ``days`` days from ``day``."""
        return self.published().filter(
            ends_on__gte=day, ends_on__lte=day + datetime.timedelta(days=days)
        )


class WrittenText(models.Model):
    """Fields every message text shares."""

    subject = models.CharField(
        _("件名"),
        max_length=120,
        help_text=_("差し込み項目も使えます（例: {{ municipality }}）。"),
    )
    body = models.TextField(
        _("本文（Markdown）"),
        help_text=_(
            "「## 見出し」、「- 箇条書き」、「**強調**」、「[リンクの文字](https://…)」が使えます。"
            "HTMLは使えません。差し込み項目は {{ nickname }} のように書きます。"
        ),
    )
    published = models.BooleanField(
        _("公開"),
        default=False,
        help_text=_(
            "チェックを外すと下書きです。下書きは配信されず、プレビューでだけ確認できます。"
        ),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    # Written by the reviews app when a version is approved; see PublishedQuerySet.approved.
    approved_hash = models.CharField(
        _("監修済みの版"), max_length=64, blank=True, default="", editable=False
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.subject

    @property
    def content_hash(self) -> str:
        return content_hash(self.subject, self.body)

    @property
    def is_approved(self) -> bool:
        return bool(self.approved_hash) and self.approved_hash == self.content_hash


class StageMessage(WrittenText):
    """National content for one stage, audience and language."""

    track = models.CharField(_("トラック"), max_length=10, choices=TRACK_CHOICES)
    unit = models.CharField(_("単位"), max_length=6, choices=UNIT_CHOICES)
    number = models.PositiveSmallIntegerField(_("番号"))
    audience = models.CharField(
        _("対象"), max_length=12, choices=Audience, default=Audience.EVERYONE
    )
    language = models.CharField(
        _("言語"), max_length=LANGUAGE_CODE_MAX_LENGTH, choices=Language, default=Language.JA
    )
    needs_medical_review = models.BooleanField(
        _("医療監修待ち"), default=True, help_text=_("本番利用の前に医療監修が必要です。")
    )
    source_path = models.CharField(_("コンテンツパックのファイル"), max_length=200, blank=True)

    history = HistoricalRecords(verbose_name=_("ステージメッセージの履歴"))

    class Meta:
        verbose_name = _("ステージメッセージ")
        verbose_name_plural = _("ステージメッセージ")
        ordering = ["track", "unit", "number", "audience", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "unit", "number", "audience", "language"],
                name="one_stage_message_per_variant",
            ),
        ]

    @property
    def stage(self) -> Stage:
        return Stage(Track(self.track), Unit(self.unit), self.number)

    def clean(self) -> None:
        super().clean()
        if self.track == Track.PREGNANCY and self.unit == Unit.YEAR:
            raise ValidationError({"unit": _("妊娠トラックに「歳」の単位はありません。")})
        validators.check_written_text(self, track=self.track)
        validators.check_stage_message_line_length(self)


class SpecialMessage(WrittenText):
    """Messages sent on an event rather than a stage: welcome, birth, loss, graduation."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("登録のお礼")
        BIRTH = "birth", _("出産のお祝い")
        LOSS = "loss", _("お別れのとき")
        LOSS_PREGNANCY = "loss-pregnancy", _("お別れのとき（妊娠中のお別れ）")
        LOSS_STILLBIRTH = "loss-stillbirth", _("お別れのとき（死産）")
        LOSS_CHILD = "loss-child", _("お別れのとき（お子さまが亡くなったとき）")
        GRADUATION = "graduation", _("卒業")
        BIRTH_CHECK = "birth-check", _("出生の確認")

    kind = models.CharField(_("種類"), max_length=20, choices=Kind)
    audience = models.CharField(
        _("対象"), max_length=12, choices=Audience, default=Audience.EVERYONE
    )
    language = models.CharField(
        _("言語"), max_length=LANGUAGE_CODE_MAX_LENGTH, choices=Language, default=Language.JA
    )
    needs_medical_review = models.BooleanField(_("医療監修待ち"), default=True)
    source_path = models.CharField(_("コンテンツパックのファイル"), max_length=200, blank=True)

    history = HistoricalRecords(verbose_name=_("特別メッセージの履歴"))

    class Meta:
        verbose_name = _("特別メッセージ")
        verbose_name_plural = _("特別メッセージ")
        ordering = ["kind", "audience", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "audience", "language"], name="one_special_message_per_variant"
            ),
        ]

    def clean(self) -> None:
        super().clean()
        validators.check_written_text(self, track=validators.SPECIAL_MESSAGE_TRACKS.get(self.kind))
        validators.check_line_length_alone(self)


class BirthdayMessage(WrittenText):
    """A birthday message per age; rows without a municipality are the national defaults."""

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="birthday_messages",
        verbose_name=_("自治体"),
        help_text=_("空欄は全国共通の既定メッセージ（自治体のものがないときに使われます）。"),
    )
    age_years = models.PositiveSmallIntegerField(
        _("年齢"),
        validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text=_("何歳の誕生日に届けるか（1〜7）。"),
    )
    language = models.CharField(
        _("言語"), max_length=LANGUAGE_CODE_MAX_LENGTH, choices=Language, default=Language.JA
    )
    source_path = models.CharField(_("コンテンツパックのファイル"), max_length=200, blank=True)

    history = HistoricalRecords(verbose_name=_("誕生日メッセージの履歴"))

    class Meta:
        verbose_name = _("誕生日メッセージ")
        verbose_name_plural = _("誕生日メッセージ")
        ordering = ["municipality", "age_years", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "age_years", "language"],
                condition=models.Q(municipality__isnull=False),
                name="one_birthday_message_per_municipality_age",
            ),
            models.UniqueConstraint(
                fields=["age_years", "language"],
                condition=models.Q(municipality__isnull=True),
                name="one_default_birthday_message_per_age",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        validators.check_written_text(self, track=Track.CHILD)
        validators.check_line_length_alone(self)


def _translations_problem(translations: object) -> str:
    """Why a notice's translations cannot be saved, or ""."""
    if not isinstance(translations, dict):
        return str(_('翻訳は {"言語コード": {"title": "…", "body": "…"}} の形で書いてください。'))
    for language, value in translations.items():
        if language not in Language.values or language == Language.JA:
            return str(_("「%(code)s」は翻訳の言語コードとして使えません。")) % {"code": language}
        if not isinstance(value, dict) or not isinstance(value.get("body", ""), str):
            return str(_("「%(code)s」の翻訳には title と body を文字で書いてください。")) % {
                "code": language
            }
    return ""


class LocalNotice(models.Model):
    """A municipality's own part, added under its heading to the stage messages in a range."""

    class Channels(models.TextChoices):
        BOTH = "both", _("メールとLINE")
        EMAIL = "email", _("メールのみ")
        LINE = "line", _("LINEのみ")

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        related_name="local_notices",
        verbose_name=_("自治体"),
    )
    title = models.CharField(
        _("タイトル"), max_length=100, help_text=_("例: 3〜4か月児健診のご案内")
    )
    body = models.TextField(
        _("本文（Markdown）"),
        help_text=_(
            "日時・場所・持ち物・申し込み方法などを短く。「- 箇条書き」、「**強調**」、"
            "「[リンクの文字](https://…)」、電話は「[03-0000-0000](tel:0300000000)」のように書けます。"
        ),
    )
    track = models.CharField(
        _("トラック"),
        max_length=10,
        choices=TRACK_CHOICES,
        help_text=_("妊娠中の家族向けか、出生後の家族向けか。"),
    )
    unit = models.CharField(
        _("単位"),
        max_length=6,
        choices=UNIT_CHOICES,
        help_text=_("3〜4か月児健診なら「子ども」「か月」「3」〜「4」。"),
    )
    number_from = models.PositiveSmallIntegerField(
        _("開始"), help_text=_("この週数・月齢（など）から載せます。")
    )
    number_to = models.PositiveSmallIntegerField(
        _("終了"), help_text=_("この週数・月齢（など）の間まで載せます（この値を含みます）。")
    )
    starts_on = models.DateField(
        _("掲載開始日"), null=True, blank=True, help_text=_("空欄なら公開したときから。")
    )
    ends_on = models.DateField(
        _("掲載終了日"),
        null=True,
        blank=True,
        help_text=_("空欄なら期限なし。この日まで載せます。"),
    )
    channels = models.CharField(
        _("配信チャネル"), max_length=5, choices=Channels, default=Channels.BOTH
    )
    order = models.PositiveSmallIntegerField(
        _("表示順"),
        default=0,
        help_text=_("同じ日に複数のお知らせがあるとき、小さい順に並びます。"),
    )
    translations = models.JSONField(
        _("翻訳"),
        default=dict,
        blank=True,
        help_text=_(
            '言語ごとのタイトルと本文。例: {"vi": {"title": "…", "body": "…"}}。'
            "翻訳のない言語の読者には、日本語のお知らせに「日本語のままのお知らせです」という"
            "一行をその読者の言語で添えて届けます。"
        ),
    )
    published = models.BooleanField(
        _("公開"),
        default=False,
        help_text=_(
            "チェックを外すと下書きです。下書きは配信されず、プレビューでだけ確認できます。"
        ),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = LocalNoticeQuerySet.as_manager()
    history = HistoricalRecords(verbose_name=_("地域のお知らせの履歴"))

    class Meta:
        verbose_name = _("地域のお知らせ")
        verbose_name_plural = _("地域のお知らせ")
        ordering = ["municipality", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number_from__lte=models.F("number_to")),
                name="notice_stage_range_ordered",
                violation_error_message=_("対象期間の開始は終了以前にしてください。"),
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(starts_on__lte=models.F("ends_on")),
                name="notice_date_window_ordered",
                violation_error_message=_("掲載開始日は掲載終了日以前にしてください。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.track == Track.PREGNANCY and self.unit == Unit.YEAR:
            errors["unit"] = [_("妊娠トラックに「歳」の単位はありません。")]
        elif self.track == Track.PREGNANCY and self.unit == Unit.MONTH and self.number_from == 0:
            errors["number_from"] = [_("妊娠月数は1か月から数えます。")]
        translation_error = _translations_problem(self.translations)
        if translation_error:
            errors["translations"] = [translation_error]
        if errors:
            raise ValidationError(errors)
        validators.check_written_text(self, track=self.track, subject_field="title")
        validators.check_notice_line_length(self)

    def in_language(self, language: str) -> tuple[str, str] | None:
        """(title, body) as translated for ``language``, or None where there is no translation."""
        found = (self.translations or {}).get(language) if language != "ja" else None
        if not isinstance(found, dict) or not str(found.get("body", "")).strip():
            return None
        return str(found.get("title") or self.title), str(found["body"])

    @property
    def stage_range_label(self) -> str:
        """Where the notice appears, as staff say it: 子ども 3〜4か月, 妊娠 20〜24週."""
        return stage_range_label(self.track, self.unit, self.number_from, self.number_to)

    def applies_at(self, *, anchor: datetime.date, on: datetime.date) -> bool:
        """Whether a family with this anchor is in the notice's stage range on ``on``."""
        number = current_stage_number(Track(self.track), Unit(self.unit), anchor, on)
        return self.number_from <= number <= self.number_to
