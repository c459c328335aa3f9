from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from content.validators import markdown_safety_problems, placeholder_problems
from delivery.outbox import MessageKey
from kizuna import clock
from kizuna.fiscal import FIRST_FISCAL_YEAR, fiscal_year_label, wareki_fiscal_year
from municipalities.models import Municipality
from subscribers.models import Subscriber

from . import stage_buckets

# A survey link lives as long as its survey is open; tokens.py caps it at this many days.
LONGEST_SURVEY_DAYS = 365


MESSAGE_KIND = "survey"  # the kind of its deliveries' message keys (delivery.outbox)


class SurveyQuerySet(models.QuerySet["Survey"]):
    def for_municipality(self, municipality: Municipality) -> "SurveyQuerySet":
        return self.filter(municipality=municipality)

    def open_on(self, day) -> "SurveyQuerySet":
        return self.filter(opens_on__lte=day, closes_on__gte=day)

    def published_results(self, day) -> "SurveyQuerySet":
        """Surveys whose results the municipality chose to publish, once answering has ended."""
        return self.filter(public_results=True, closes_on__lt=day)


class Survey(models.Model):
    """A municipality's reader survey for one fiscal year (年度)."""

    class Target(models.TextChoices):
        ALL = "all", _("配信中のすべての読者")
        CHOSEN = "chosen", _("時期・続柄を選ぶ")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("自治体")
    )
    title = models.CharField(
        _("タイトル"), max_length=100, help_text=_("例: 子育て応援メール 読者アンケート")
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("年度"),
        validators=[MinValueValidator(FIRST_FISCAL_YEAR), MaxValueValidator(2200)],
        help_text=_(
            "結果を公表する年度。4月から翌年3月まで（例: 令和8年度は2026年4月〜2027年3月）。"
        ),
    )
    intro = models.TextField(
        _("ごあいさつ"),
        blank=True,
        help_text=_(
            "配信するメッセージとアンケートの冒頭に表示します。Markdownが使えます。"
            "{{ nickname }} などの差し込みも使えます。"
        ),
    )
    opens_on = models.DateField(_("回答の受付開始日"))
    closes_on = models.DateField(
        _("回答の締め切り日"), help_text=_("この日の終わり（日本時間）まで回答・変更できます。")
    )
    target = models.CharField(_("対象"), max_length=10, choices=Target, default=Target.ALL)
    target_stages = models.JSONField(
        _("対象の時期"),
        default=list,
        blank=True,
        help_text=_("選ばない場合はすべての時期。"),
    )
    target_relationships = models.JSONField(
        _("対象の続柄"),
        default=list,
        blank=True,
        help_text=_("選ばない場合はすべての続柄。"),
    )
    public_results = models.BooleanField(
        _("結果を公開する"),
        default=False,
        help_text=_(
            "締め切り後、満足度と選択式の集計を自治体の公開ページ（/m/<URL名>/surveys/）に"
            "年度ごとに掲載します。自由記述は公開しません。"
        ),
    )
    first_sent_at = models.DateTimeField(_("初回配信日時"), null=True, blank=True)
    first_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("初回配信した職員"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("読者アンケート")
        verbose_name_plural = _("読者アンケート")
        ordering = ["-fiscal_year", "-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="survey_closes_after_it_opens",
                violation_error_message=_("締め切り日は受付開始日以降にしてください。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{wareki_fiscal_year(self.fiscal_year)} {self.title}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.target == self.Target.ALL:
            self.target_stages, self.target_relationships = [], []
        if self.opens_on and self.closes_on:
            if self.closes_on < self.opens_on:
                errors["closes_on"] = _("締め切り日は受付開始日以降にしてください。")
            elif (self.closes_on - self.opens_on).days > LONGEST_SURVEY_DAYS:
                errors["closes_on"] = _("受付期間は%(days)d日以内にしてください。") % {
                    "days": LONGEST_SURVEY_DAYS
                }
        if self.target == self.Target.CHOSEN and not (
            self.target_stages or self.target_relationships
        ):
            errors["target"] = _("対象の時期か続柄を1つ以上選んでください。")
        unknown = set(self.target_stages or []) - set(stage_buckets.BY_CODE)
        if unknown:
            errors["target_stages"] = _("選べない時期が含まれています。")
        if set(self.target_relationships or []) - set(Subscriber.Relationship.values):
            errors["target_relationships"] = _("選べない続柄が含まれています。")
        intro_problems = placeholder_problems(self.intro) + markdown_safety_problems(self.intro)
        if intro_problems:
            errors["intro"] = intro_problems
        if errors:
            raise ValidationError(errors)

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def wareki(self) -> str:
        return wareki_fiscal_year(self.fiscal_year)

    def state_on(self, day) -> str:
        """「before」, 「open」 or 「closed」 on ``day`` (Asia/Tokyo)."""
        if day < self.opens_on:
            return "before"
        return "open" if day <= self.closes_on else "closed"

    @property
    def is_open(self) -> bool:
        return self.state_on(clock.today()) == "open"

    @property
    def is_closed(self) -> bool:
        return self.state_on(clock.today()) == "closed"

    @property
    def message_key(self) -> str:
        return str(MessageKey.for_record(MESSAGE_KIND, self.pk))

    @property
    def headline_question(self) -> "Question | None":
        """The satisfaction question whose 満足 + やや満足 is the survey's published figure."""
        return (
            self.questions.filter(kind=Question.Kind.SATISFACTION).order_by("order", "pk").first()
        )


SATISFACTION_SCALE = [
    (5, _("満足")),
    (4, _("やや満足")),
    (3, _("どちらともいえない")),
    (2, _("やや不満")),
    (1, _("不満")),
]
SATISFIED = (5, 4)


class Question(models.Model):
    class Kind(models.TextChoices):
        SATISFACTION = "satisfaction", _("5段階の満足度")
        SINGLE = "single", _("選択肢から1つ")
        MULTIPLE = "multiple", _("選択肢から複数")
        TEXT = "text", _("自由記述")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("アンケート")
    )
    order = models.PositiveSmallIntegerField(_("順番"), default=0)
    kind = models.CharField(_("種類"), max_length=12, choices=Kind, default=Kind.SATISFACTION)
    text = models.CharField(_("質問"), max_length=200)
    help_text = models.CharField(_("補足"), max_length=200, blank=True)
    options = models.TextField(
        _("選択肢"),
        blank=True,
        help_text=_("「選択肢から1つ」「選択肢から複数」のとき、1行に1つずつ（2〜20個）。"),
    )
    required = models.BooleanField(_("回答必須"), default=True)

    class Meta:
        verbose_name = _("質問")
        verbose_name_plural = _("質問")
        ordering = ["survey", "order", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def has_options(self) -> bool:
        return self.kind in (self.Kind.SINGLE, self.Kind.MULTIPLE)

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def choices(self) -> list[tuple[int, str]]:
        """(stored value, label): 5..1 on the satisfaction scale, 1..n for written options."""
        if self.kind == self.Kind.SATISFACTION:
            return [(value, str(label)) for value, label in SATISFACTION_SCALE]
        if self.has_options:
            return list(enumerate(self.option_list(), start=1))
        return []

    def clean(self) -> None:
        super().clean()
        options = self.option_list()
        if self.has_options:
            if not 2 <= len(options) <= 20:
                raise ValidationError(
                    {"options": _("選択肢を2〜20個、1行に1つずつ入力してください。")}
                )
            if len(set(options)) != len(options):
                raise ValidationError({"options": _("同じ選択肢が2回あります。")})
            if any(len(option) > 100 for option in options):
                raise ValidationError({"options": _("選択肢は1つ100文字以内にしてください。")})
        elif options:
            raise ValidationError(
                {"options": _("選択肢は「選択肢から1つ」「選択肢から複数」のときだけ入力します。")}
            )


class Response(models.Model):
    """One reader's answers to one survey: at most one, changed in place until the survey closes.

    The stage bucket and relationship are copied at answer time for breakdowns; results never
    show who answered.
    """

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("アンケート")
    )
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("読者"),
    )
    stage_bucket = models.CharField(_("回答時の時期"), max_length=20)
    relationship = models.CharField(
        _("続柄"), max_length=20, choices=Subscriber.Relationship.choices
    )
    answered_at = models.DateTimeField(_("回答日時"))
    updated_at = models.DateTimeField(_("最終変更日時"))

    class Meta:
        verbose_name = _("回答")
        verbose_name_plural = _("回答")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "subscriber"],
                name="one_response_per_reader",
                violation_error_message=_("このアンケートにはすでに回答があります。"),
            )
        ]

    def __str__(self) -> str:
        return f"{_('回答')} #{self.pk}"

    @property
    def stage_label(self) -> str:
        return stage_buckets.LABELS.get(self.stage_bucket, self.stage_bucket)


class Answer(models.Model):
    """One chosen value (a multiple choice question has one row per ticked option) or one text."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("回答")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("質問")
    )
    choice = models.PositiveSmallIntegerField(_("選んだ値"), null=True, blank=True)
    text = models.TextField(_("記述"), blank=True)

    class Meta:
        verbose_name = _("回答の内容")
        verbose_name_plural = _("回答の内容")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "choice"],
                condition=models.Q(choice__isnull=False),
                name="choose_an_option_once",
            ),
            models.UniqueConstraint(
                fields=["response", "question"],
                condition=models.Q(choice__isnull=True),
                name="write_one_text_per_question",
            ),
        ]
        indexes = [models.Index(fields=["question", "choice"], name="answer_tally_idx")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.choice if self.choice is not None else self.text[:20]}"
