"""CSV exports of a survey (Excel-ready: see kizuna.spreadsheets).

No personal data: a response number, the date, the stage bucket and relationship at answer time,
and the answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from kizuna import clock
from kizuna.spreadsheets import excel_csv

from . import stage_buckets
from .models import SATISFIED, Answer, Question, Response, Survey
from .selectors import RELATIONSHIP_LABELS, SurveyResults

MULTIPLE_SEPARATOR = "／"


def responses_csv(survey: Survey) -> str:
    return excel_csv(responses_rows(survey))


def summary_csv(results: SurveyResults) -> str:
    return excel_csv(summary_rows(results))


def responses_rows(survey: Survey) -> Iterator[list]:
    """One row per response, one column per question (multiple choices joined with 「／」)."""
    questions = list(survey.questions.order_by("order", "pk"))
    labels = {q.pk: dict(q.choices()) for q in questions}
    by_response: dict[int, dict[int, list[Answer]]] = defaultdict(lambda: defaultdict(list))
    for answer in Answer.objects.filter(question__survey=survey).order_by("question_id", "choice"):
        by_response[answer.response_id][answer.question_id].append(answer)

    def rows():
        yield ["回答ID", "回答日", "回答時の時期", "続柄", *(q.text for q in questions)]
        responses = Response.objects.filter(survey=survey).order_by("answered_at", "pk")
        for response in responses.iterator():
            answers = by_response.get(response.pk, {})
            cells = []
            for question in questions:
                given = answers.get(question.pk, [])
                if question.kind == Question.Kind.TEXT:
                    cells.append(given[0].text if given else "")
                else:
                    cells.append(
                        MULTIPLE_SEPARATOR.join(
                            labels[question.pk].get(a.choice, str(a.choice)) for a in given
                        )
                    )
            yield [
                response.pk,
                response.answered_at.astimezone(clock.TOKYO).date().isoformat(),
                stage_buckets.LABELS.get(response.stage_bucket, response.stage_bucket),
                RELATIONSHIP_LABELS.get(response.relationship, response.relationship),
                *cells,
            ]

    return rows()


def summary_rows(results: SurveyResults) -> Iterator[list]:
    """Counts and percentages per question and option, with 満足度 and breakdowns."""

    def rows():
        survey = results.survey
        yield ["アンケート", f"{survey.wareki} {survey.title}"]
        yield ["回答数", results.responses]
        yield []
        yield ["質問", "集計の区分", "区分", "選択肢", "人数", "割合(%)", "その質問への回答者数"]
        for result in results.questions:
            question = result.question
            if question.kind == Question.Kind.TEXT:
                yield [
                    question.text,
                    "全体",
                    "",
                    "（自由記述）",
                    result.answered,
                    "",
                    result.answered,
                ]
                continue
            groups = [("全体", "", result.answered, result.options, result.satisfied_percent)]
            groups += [
                ("時期", row.label, row.answered, row.options, row.satisfied_percent)
                for row in result.by_stage
            ]
            groups += [
                ("続柄", row.label, row.answered, row.options, row.satisfied_percent)
                for row in result.by_relationship
            ]
            for kind, label, answered, options, satisfied in groups:
                for option in options:
                    yield [
                        question.text,
                        kind,
                        label,
                        option.label,
                        option.count,
                        option.percent if option.percent is not None else "",
                        answered,
                    ]
                if question.kind == Question.Kind.SATISFACTION:
                    satisfied_count = sum(o.count for o in options if o.value in SATISFIED)
                    yield [
                        question.text,
                        kind,
                        label,
                        "満足度（満足＋やや満足）",
                        satisfied_count,
                        satisfied if satisfied is not None else "",
                        answered,
                    ]

    return rows()
