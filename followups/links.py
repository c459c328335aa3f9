"""The signed link a family gets to answer a questionnaire about one child."""

from django.urls import reverse

from subscribers.links import absolute
from subscribers.tokens import Purpose, make_token


def questionnaire_token(subscriber_id: int, child_id: int, questionnaire_id: int) -> str:
    return make_token(Purpose.FOLLOWUP, s=subscriber_id, c=child_id, q=questionnaire_id)


def questionnaire_url(subscriber_id: int, child_id: int, questionnaire_id: int) -> str:
    return absolute(
        reverse(
            "followups:answer",
            args=[questionnaire_token(subscriber_id, child_id, questionnaire_id)],
        )
    )
