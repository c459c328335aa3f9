"""Demo surveys for `make run`: this fiscal year's (open, answered by the demo readers) and last
year's (closed, published), so the staff pages and the public page have something to show.

Idempotent: a survey that exists is left as it is, and a reader answers at most once.
"""

from __future__ import annotations

import datetime

from kizuna import clock
from kizuna.fiscal import fiscal_year_of, wareki_fiscal_year
from municipalities.models import Municipality
from subscribers.models import Subscriber

from .models import Question, Response, Survey
from .services import record_response

QUESTIONS = [
    ("satisfaction", "「きずなメール」の内容に満足していますか", "", True),
    (
        "single",
        "メールをどのくらい読んでいますか",
        "毎回読む\nときどき読む\nほとんど読まない",
        True,
    ),
    (
        "multiple",
        "役に立った情報を選んでください（いくつでも）",
        "赤ちゃんやからだの変化\n健診・予防接種の案内\n市の子育てサービス\nパートナーとの話題",
        False,
    ),
    ("text", "ご意見・ご感想をお聞かせください", "", False),
]
# (satisfaction, frequency, useful, comment) per demo reader, in the order they were created.
ANSWERS = [
    (5, 1, [1, 2], "毎朝読むのが楽しみです。不安なときに支えになりました。"),
    (4, 2, [4], "妻の体調の変化がわかり、話すきっかけになりました。"),
    (5, 1, [1, 3], ""),
    (5, 1, [2], "健診の案内がちょうどよい時期に届いて助かりました。"),
    (4, 2, [1, 2, 3], ""),
    (3, 3, [], ""),
    (5, 1, [1], ""),
]


def ensure_demo_surveys(municipality: Municipality) -> None:
    today = clock.today()
    this_year = fiscal_year_of(today)
    readers = list(Subscriber.objects.confirmed().for_municipality(municipality).order_by("pk"))
    current = _survey(
        municipality,
        this_year,
        opens_on=today - datetime.timedelta(days=7),
        closes_on=today + datetime.timedelta(days=21),
    )
    _answer(current, readers, clock.now())
    last_open = datetime.date(this_year - 1, 11, 1)
    previous = _survey(
        municipality,
        this_year - 1,
        opens_on=last_open,
        closes_on=last_open + datetime.timedelta(days=29),
    )
    _answer(
        previous,
        readers[:5],
        datetime.datetime.combine(last_open, datetime.time(20), tzinfo=clock.TOKYO),
    )


def _survey(municipality, fiscal_year: int, *, opens_on, closes_on) -> Survey:
    survey, created = Survey.objects.get_or_create(
        municipality=municipality,
        fiscal_year=fiscal_year,
        title=f"{municipality.service_name} 読者アンケート",
        defaults={
            "intro": f"{wareki_fiscal_year(fiscal_year)}も{{{{ service_name }}}}をお読みいただき、"
            "ありがとうございます。よりよいメールにするため、ご意見をお聞かせください。",
            "opens_on": opens_on,
            "closes_on": closes_on,
            "public_results": True,
        },
    )
    if created:
        Question.objects.bulk_create(
            Question(
                survey=survey,
                order=order,
                kind=kind,
                text=text,
                options=options,
                required=required,
            )
            for order, (kind, text, options, required) in enumerate(QUESTIONS, start=1)
        )
    return survey


def _answer(survey: Survey, readers: list[Subscriber], at: datetime.datetime) -> None:
    answered = set(Response.objects.filter(survey=survey).values_list("subscriber_id", flat=True))
    questions = list(survey.questions.order_by("order"))
    for reader, values in zip(readers, ANSWERS, strict=False):
        if reader.pk in answered:
            continue
        record_response(
            survey,
            reader,
            {question.pk: value for question, value in zip(questions, values, strict=True)},
            at=at,
        )
