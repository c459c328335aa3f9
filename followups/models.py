"""Named questionnaires sent on a stage, the answers families give, and the cases 保健師 follow.

Unlike surveys (anonymous, counted), these are read with the family's name by the
municipality's health staff, who call back the families that ask for it or whose answers cross a
threshold.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from content.stages import Stage, Track, Unit
from municipalities.models import Municipality
from subscribers.models import Child, Subscriber

from .scoring import Option, OptionError, parse_options

MESSAGE_KIND = "questionnaire"


class FollowupSettings(models.Model):
    """A municipality's follow-up rules; made with the defaults the first time it is asked for."""

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="followup_settings",
        verbose_name=_("自治体"),
    )
    contact_within_days = models.PositiveSmallIntegerField(
        _("連絡の期限（開庁日）"),
        default=3,
        help_text=_("ケースが開いてから何開庁日以内に連絡するか（土日・祝日は数えません）。"),
    )
    closed_year_end = models.BooleanField(
        _("年末年始（12月29日〜1月3日）を閉庁日とする"), default=True
    )
    reply_text = models.CharField(
        _("連絡方法の案内"),
        max_length=200,
        default="妊娠の届け出などでお知らせいただいた電話番号へ、保健師からお電話します。",
        help_text=_("「話を聞いてほしい」やアンケートの回答のあと、保護者に表示します。"),
    )

    class Meta:
        verbose_name = _("フォローアップの設定")
        verbose_name_plural = _("フォローアップの設定")

    def __str__(self) -> str:
        return str(self.municipality)

    @classmethod
    def of(cls, municipality: Municipality) -> FollowupSettings:
        found, _created = cls.objects.get_or_create(municipality=municipality)
        return found


class Questionnaire(models.Model):
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="questionnaires",
        verbose_name=_("自治体"),
    )
    title = models.CharField(_("名前"), max_length=100, help_text=_("例: 8か月アンケート"))
    intro = models.TextField(_("はじめの言葉"), blank=True)
    track = models.CharField(
        _("時期の区分"),
        max_length=10,
        choices=[(Track.PREGNANCY.value, _("妊娠")), (Track.CHILD.value, _("出生後"))],
    )
    unit = models.CharField(
        _("単位"),
        max_length=5,
        choices=[
            (Unit.DAY.value, _("日")),
            (Unit.WEEK.value, _("週")),
            (Unit.MONTH.value, _("か月")),
        ],
    )
    number = models.PositiveSmallIntegerField(
        _("数"), help_text=_("妊娠32週0日なら「妊娠・週・32」、生後14日なら「出生後・日・14」。")
    )
    total_threshold = models.PositiveSmallIntegerField(
        _("合計点のしきい値"),
        null=True,
        blank=True,
        help_text=_("点数つきの質問の合計がこの点以上でケースを開きます（空欄なら使いません）。"),
    )
    source = models.CharField(
        _("出典・利用権"),
        max_length=200,
        blank=True,
        help_text=_("他の団体が著作権を持つ質問票を使うときは、その出典と利用の根拠を記録します。"),
    )
    active = models.BooleanField(_("送る"), default=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("アンケート（記名）")
        verbose_name_plural = _("アンケート（記名）")
        ordering = ["municipality", "track", "unit", "number", "pk"]

    def __str__(self) -> str:
        return f"{self.title}（{self.stage_label}）"

    @property
    def stage(self) -> Stage:
        return Stage(Track(self.track), Unit(self.unit), self.number)

    @property
    def stage_label(self) -> str:
        unit = {"day": "日", "week": "週", "month": "か月"}[self.unit]
        if self.track == Track.PREGNANCY:
            return f"妊娠{self.number}{unit}" + ("0日" if self.unit == Unit.WEEK else "")
        return f"生後{self.number}{unit}"

    def clean(self) -> None:
        super().clean()
        try:
            self.stage  # noqa: B018 (the calendar's own checks)
        except ValueError as error:
            raise ValidationError({"number": _("この時期は暦にありません。")}) from error


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("選択肢から1つ")
        MULTIPLE = "multiple", _("選択肢から複数")
        TEXT = "text", _("自由記述")
        SCORED = "scored", _("点数つきの選択肢から1つ")

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("アンケート"),
    )
    order = models.PositiveSmallIntegerField(_("順番"), default=0)
    kind = models.CharField(_("種類"), max_length=10, choices=Kind, default=Kind.SINGLE)
    text = models.CharField(_("質問"), max_length=300)
    help_text = models.CharField(_("補足"), max_length=300, blank=True)
    options = models.TextField(
        _("選択肢"),
        blank=True,
        help_text=_(
            "1行に1つ。点数つきは「点数|選択肢」（例: 0|まったくない）。"
            "連絡の希望を表す選択肢は行末に「|連絡」をつけます。"
        ),
    )
    required = models.BooleanField(_("回答必須"), default=True)
    item_threshold = models.PositiveSmallIntegerField(
        _("この質問のしきい値"),
        null=True,
        blank=True,
        help_text=_(
            "この質問の点数がこの点以上でケースを開きます（例: 1なら0点以外の回答すべて）。"
        ),
    )

    class Meta:
        verbose_name = _("質問")
        verbose_name_plural = _("質問")
        ordering = ["questionnaire", "order", "pk"]

    def __str__(self) -> str:
        return self.text

    def parsed_options(self) -> list[Option]:
        return parse_options(self.options, scored=self.kind == self.Kind.SCORED)

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.TEXT:
            if self.options.strip():
                raise ValidationError({"options": _("自由記述の質問に選択肢は要りません。")})
            return
        try:
            options = self.parsed_options()
        except OptionError as error:
            raise ValidationError({"options": str(error)}) from error
        if not 2 <= len(options) <= 20:
            raise ValidationError({"options": _("選択肢を2〜20個、1行に1つずつ入力してください。")})
        if self.item_threshold is not None and self.kind != self.Kind.SCORED:
            raise ValidationError(
                {"item_threshold": _("しきい値は点数つきの質問にだけ設定できます。")}
            )


class Response(models.Model):
    """One family's answers to one questionnaire about one child."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="responses",
        verbose_name=_("アンケート"),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("自治体")
    )
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="followup_responses",
        verbose_name=_("読者"),
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="followup_responses", verbose_name=_("子ども")
    )
    answered_at = models.DateTimeField(_("回答日時"), auto_now_add=True)
    total_score = models.PositiveSmallIntegerField(_("合計点"), null=True, blank=True)
    wants_contact = models.BooleanField(_("連絡の希望"), default=False)
    reasons = models.JSONField(_("ケースを開いた理由"), default=list, blank=True)

    class Meta:
        verbose_name = _("回答（記名）")
        verbose_name_plural = _("回答（記名）")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "subscriber", "child"], name="one_response_per_child"
            )
        ]

    def __str__(self) -> str:
        return f"回答{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("回答")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("質問")
    )
    choices = models.JSONField(_("選んだ選択肢（1から）"), default=list, blank=True)
    text = models.TextField(_("記述"), blank=True)
    points = models.PositiveSmallIntegerField(_("点数"), null=True, blank=True)

    class Meta:
        verbose_name = _("回答の項目")
        verbose_name_plural = _("回答の項目")
        ordering = ["response", "question__order", "question_id"]

    def __str__(self) -> str:
        return f"回答{self.response_id}の項目"


class Case(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("新規")
        CONTACTED = "contacted", _("連絡済み")
        BOOKED = "booked", _("面談予約済み")
        CLOSED = "closed", _("終了")

    class Outcome(models.TextChoices):
        SUPPORTED = "supported", _("相談・面談で対応した")
        ONGOING = "ongoing", _("継続して支援する（母子保健の記録へ）")
        REFERRED = "referred", _("他の機関につないだ")
        NO_NEED = "no_need", _("支援は不要だった")
        UNREACHABLE = "unreachable", _("連絡がつかなかった")

    class Reason(models.TextChoices):
        TALK = "talk", _("「話を聞いてほしい」")
        CONTACT = "contact", _("アンケートで連絡を希望")
        THRESHOLD = "threshold", _("アンケートの点数")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="+", verbose_name=_("自治体")
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="followup_cases", verbose_name=_("読者")
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followup_cases",
        verbose_name=_("子ども"),
    )
    response = models.OneToOneField(
        Response,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case",
        verbose_name=_("回答"),
    )
    reason = models.CharField(_("理由"), max_length=10, choices=Reason)
    detail = models.CharField(_("理由の詳細"), max_length=300, blank=True)
    message = models.TextField(_("保護者からのひとこと"), blank=True)
    phone = models.CharField(_("連絡先の電話番号"), max_length=30, blank=True)
    reachable = models.CharField(_("連絡のつきやすい時間"), max_length=100, blank=True)
    state = models.CharField(_("状態"), max_length=10, choices=State, default=State.NEW)
    outcome = models.CharField(_("結果"), max_length=12, choices=Outcome, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("担当"),
    )
    opened_at = models.DateTimeField(_("受付日時"), auto_now_add=True)
    due_on = models.DateField(_("連絡の期限"))
    closed_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("フォローアップのケース")
        verbose_name_plural = _("フォローアップのケース")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["municipality", "state", "due_on"])]

    def __str__(self) -> str:
        return f"ケース{self.pk}"


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(_("記録"))

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}の記録"


class MorningMail(models.Model):
    """One row per municipality and day the overdue mail went out: the beat may run twice."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    cases = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "day"], name="one_morning_mail_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.day}"
