"""Survey results as counts and percentages, computed in the database; never who answered."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from delivery.models import Delivery
from municipalities.charts import Bar, HorizontalBar, horizontal_bars
from subscribers.models import Subscriber

from . import stage_buckets
from .models import SATISFIED, Answer, Question, Response, Survey

TEXTS_SHOWN = 200  # free-text answers per question on the page; the CSV has them all


def percent(part: int, whole: int) -> Decimal | None:
    """One decimal, rounded half up as published reports do (97.55 → 97.6); None of nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class OptionResult:
    value: int
    label: str
    count: int
    percent: Decimal | None


@dataclass(frozen=True)
class GroupRow:
    """One stage bucket or relationship in a breakdown table."""

    label: str
    answered: int
    options: list[OptionResult]
    satisfied_percent: Decimal | None


@dataclass(frozen=True)
class TextAnswer:
    text: str
    stage: str
    relationship: str
    answered_on: object


@dataclass
class QuestionResult:
    question: Question
    answered: int
    unanswered: int
    options: list[OptionResult] = field(default_factory=list)
    bars: list[HorizontalBar] = field(default_factory=list)
    satisfied: int | None = None
    satisfied_percent: Decimal | None = None
    by_stage: list[GroupRow] = field(default_factory=list)
    by_relationship: list[GroupRow] = field(default_factory=list)
    texts: list[TextAnswer] = field(default_factory=list)
    more_texts: int = 0

    @property
    def option_bars(self) -> list[tuple[OptionResult, HorizontalBar]]:
        return list(zip(self.options, self.bars, strict=True))

    @property
    def is_satisfaction(self) -> bool:
        return self.question.kind == Question.Kind.SATISFACTION


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    sent: int
    questions: list[QuestionResult]

    @property
    def headline(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.is_satisfaction), None)

    @property
    def satisfied_percent(self) -> Decimal | None:
        return self.headline.satisfied_percent if self.headline else None

    @property
    def response_rate(self) -> Decimal | None:
        return percent(self.responses, self.sent)


RELATIONSHIP_LABELS = {value: str(label) for value, label in Subscriber.Relationship.choices}
STAGE_ORDER = [bucket.code for bucket in stage_buckets.BUCKETS] + [stage_buckets.NO_STAGE]


def _options(question: Question, counts: Counter, answered: int) -> list[OptionResult]:
    return [
        OptionResult(value, label, counts[value], percent(counts[value], answered))
        for value, label in question.choices()
    ]


def _satisfied(question: Question, counts: Counter) -> int | None:
    if question.kind != Question.Kind.SATISFACTION:
        return None
    return sum(counts[value] for value in SATISFIED)


def survey_results(survey: Survey, *, with_texts: bool = True) -> SurveyResults:
    """Counts per option overall, by stage bucket and by relationship; free text when asked.

    Percentages are of the readers who answered that question (a multiple choice question's can
    add up to more than 100%); 満足度 is 満足 + やや満足 among them.
    """
    questions = list(survey.questions.order_by("order", "pk"))
    responses = Response.objects.filter(survey=survey).count()
    answers = Answer.objects.filter(question__survey=survey)
    # (question, stage, relationship, choice) -> count: everything the tables need, in one query.
    tallies = (
        answers.filter(choice__isnull=False)
        .values_list("question_id", "response__stage_bucket", "response__relationship", "choice")
        .annotate(n=Count("id"))
        .order_by()
    )
    # (question, stage, relationship) -> readers who answered it.
    answered_rows = (
        answers.values_list("question_id", "response__stage_bucket", "response__relationship")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    )

    overall: dict[int, Counter] = defaultdict(Counter)
    by_stage: dict[tuple[int, str], Counter] = defaultdict(Counter)
    by_relationship: dict[tuple[int, str], Counter] = defaultdict(Counter)
    for question_id, stage, relationship, choice, n in tallies:
        overall[question_id][choice] += n
        by_stage[(question_id, stage)][choice] += n
        by_relationship[(question_id, relationship)][choice] += n
    answered: Counter = Counter()
    answered_by_stage: Counter = Counter()
    answered_by_relationship: Counter = Counter()
    for question_id, stage, relationship, n in answered_rows:
        answered[question_id] += n
        answered_by_stage[(question_id, stage)] += n
        answered_by_relationship[(question_id, relationship)] += n

    texts = _texts(survey, questions) if with_texts else {}
    results = []
    for question in questions:
        total = answered[question.pk]
        result = QuestionResult(question, answered=total, unanswered=responses - total)
        if question.kind != Question.Kind.TEXT:
            counts = overall[question.pk]
            result.options = _options(question, counts, total)
            result.bars = horizontal_bars(
                [Bar(option.label, option.count) for option in result.options], largest=total
            )
            result.satisfied = _satisfied(question, counts)
            if result.satisfied is not None:
                result.satisfied_percent = percent(result.satisfied, total)
            result.by_stage = [
                _group_row(
                    question,
                    stage_buckets.LABELS.get(code, code),
                    by_stage[(question.pk, code)],
                    answered_by_stage[(question.pk, code)],
                )
                for code in STAGE_ORDER
                if answered_by_stage[(question.pk, code)]
            ]
            result.by_relationship = [
                _group_row(
                    question,
                    label,
                    by_relationship[(question.pk, code)],
                    answered_by_relationship[(question.pk, code)],
                )
                for code, label in RELATIONSHIP_LABELS.items()
                if answered_by_relationship[(question.pk, code)]
            ]
        elif with_texts:
            result.texts, result.more_texts = texts.get(question.pk, ([], 0))
        results.append(result)
    sent = Delivery.objects.filter(
        municipality=survey.municipality,
        message_key=survey.message_key,
        status=Delivery.Status.SENT,
    ).count()
    return SurveyResults(survey, responses, sent, results)


def _group_row(question: Question, label: str, counts: Counter, answered: int) -> GroupRow:
    satisfied = _satisfied(question, counts)
    return GroupRow(
        label,
        answered,
        _options(question, counts, answered),
        percent(satisfied, answered) if satisfied is not None else None,
    )


def _texts(survey: Survey, questions: list[Question]) -> dict[int, tuple[list[TextAnswer], int]]:
    result = {}
    for question in questions:
        if question.kind != Question.Kind.TEXT:
            continue
        rows = (
            Answer.objects.filter(question=question)
            .select_related("response")
            .order_by("-response__updated_at", "-pk")
        )
        shown = [
            TextAnswer(
                answer.text,
                stage_buckets.LABELS.get(answer.response.stage_bucket, ""),
                RELATIONSHIP_LABELS.get(answer.response.relationship, ""),
                answer.response.updated_at,
            )
            for answer in rows[:TEXTS_SHOWN]
        ]
        result[question.pk] = (shown, max(rows.count() - TEXTS_SHOWN, 0))
    return result


@dataclass(frozen=True)
class PublishedYear:
    survey: Survey
    responses: int
    satisfied_percent: Decimal | None


def published_years(surveys: QuerySet[Survey]) -> list[PublishedYear]:
    """Each survey's headline satisfaction (first 5-point question) in two queries in all."""
    headline = (
        Question.objects.filter(survey=OuterRef("pk"), kind=Question.Kind.SATISFACTION)
        .order_by("order", "pk")
        .values("pk")[:1]
    )
    surveys = list(
        surveys.annotate(headline_id=Subquery(headline), response_count=Count("responses"))
    )
    tallies = {
        row["question_id"]: row
        for row in Answer.objects.filter(question_id__in=[s.headline_id for s in surveys])
        .values("question_id")
        .annotate(
            answered=Count("response_id", distinct=True),
            satisfied=Count("response_id", distinct=True, filter=Q(choice__in=SATISFIED)),
        )
        .order_by()
    }
    years = []
    for survey in surveys:
        tally = tallies.get(survey.headline_id, {"answered": 0, "satisfied": 0})
        years.append(
            PublishedYear(
                survey, survey.response_count, percent(tally["satisfied"], tally["answered"])
            )
        )
    return years
