"""What followups keeps about a reader: their named answers and the cases opened for them. Both
go in their data download, and both go at erasure (a named record has no anonymous rest)."""

from __future__ import annotations

from collections.abc import Mapping

from subscribers import erasure, personal_data
from subscribers.models import Subscriber

from . import services
from .models import Answer, Case


def export(subscriber: Subscriber) -> Mapping[str, personal_data.Value]:
    answers = (
        Answer.objects.filter(response__subscriber=subscriber)
        .select_related("response__questionnaire", "question")
        .order_by("response_id", "question__order", "question_id")
    )
    cases = Case.objects.filter(subscriber=subscriber).order_by("opened_at", "pk")
    return {
        "questionnaire_answers": [
            {
                "questionnaire": a.response.questionnaire.title,
                "answered_at": personal_data.moment_text(a.response.answered_at),
                "question": a.question.text,
                "answer": a.text
                or "、".join(
                    o.label
                    for i, o in enumerate(a.question.parsed_options(), start=1)
                    if i in a.choices
                ),
            }
            for a in answers
        ],
        "followup_cases": [
            {
                "opened_at": personal_data.moment_text(c.opened_at),
                "reason": c.get_reason_display(),
                "message": c.message,
                "state": c.get_state_display(),
            }
            for c in cases
        ],
    }


LABELS = {
    "questionnaire_answers": "保健師が読むアンケートの回答",
    "questionnaire": "アンケート",
    "answered_at": "回答日時",
    "question": "質問",
    "answer": "回答",
    "followup_cases": "保健師への相談",
    "opened_at": "受付日時",
    "reason": "きっかけ",
    "message": "ひとこと",
    "state": "状態",
}


def register() -> None:
    personal_data.register_part(personal_data.Part(app="followups", export=export, labels=LABELS))
    erasure.register_step("followups", services.erase_readers)
