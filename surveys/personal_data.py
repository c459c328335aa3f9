"""What surveys keep about a reader: their answers, in their data download; at erasure the
choices stay (counted without a name) and what they wrote goes."""

from __future__ import annotations

from collections.abc import Mapping

from subscribers import erasure, personal_data
from subscribers.models import Subscriber

from .models import Answer


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    answers = (
        Answer.objects.filter(response__subscriber=subscriber)
        .select_related("response__survey", "question")
        .order_by("response__survey_id", "question__order", "question_id", "choice")
    )
    return {
        "survey_answers": [
            {
                "survey": f"{a.response.survey.wareki} {a.response.survey.title}",
                "answered_at": personal_data.moment_text(a.response.updated_at),
                "question": a.question.text,
                "answer": a.text if a.choice is None else dict(a.question.choices()).get(a.choice),
            }
            for a in answers
        ],
    }


LABELS = {
    "survey_answers": "アンケートの回答",
    "survey": "アンケート",
    "answered_at": "回答日時",
    "question": "質問",
    "answer": "回答",
}


def erase(subscriber_ids: list[int]) -> None:
    Answer.objects.filter(response__subscriber_id__in=subscriber_ids).exclude(text="").update(
        text=""
    )


def register() -> None:
    personal_data.register_part(personal_data.Part(app="surveys", export=export, labels=LABELS))
    erasure.register_step("surveys", erase)
