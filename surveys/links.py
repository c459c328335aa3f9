"""The signed link each reader gets to answer a survey."""

from django.urls import reverse

from subscribers.links import absolute
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, make_token

from .models import Survey


def survey_token(subscriber: Subscriber, survey: Survey) -> str:
    return make_token(Purpose.SURVEY, s=subscriber.pk, v=survey.pk)


def survey_url(subscriber: Subscriber, survey: Survey) -> str:
    return absolute(reverse("surveys:answer", args=[survey_token(subscriber, survey)]))
