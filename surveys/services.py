"""Sending a survey through the delivery engine, and recording a reader's answers."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from delivery import outbox
from delivery.models import Delivery
from kizuna import clock
from subscribers.models import Child, Subscriber, SubscriberQuerySet, Subscription

from . import stage_buckets
from .models import MESSAGE_KIND, Answer, Question, Response, Survey

logger = logging.getLogger(__name__)


class SurveyError(Exception):
    """Something the staff member or reader must be told, in Japanese."""


def targeted_readers(survey: Survey, *, on: datetime.date | None = None) -> SubscriberQuerySet:
    """Readers the survey goes to: confirmed, still subscribed, reachable, following a pregnancy
    or child today, within the survey's target, and never anyone who reported a loss.

    Who reported a loss is left out whatever their other children: a survey is a request, not a
    service message, and one that asks about pregnancy and the baby must not reach a family
    grieving one (the partner and grandparents who follow the same child included).
    """
    on = on or clock.today()
    active = Child.objects.filter(
        status__in=[Child.Status.EXPECTING, Child.Status.BORN],
        subscriptions__ended_at__isnull=True,
        subscriptions__subscriber=OuterRef("pk"),
    )
    if survey.target == Survey.Target.CHOSEN and survey.target_stages:
        active = active.filter(stage_buckets.child_condition(survey.target_stages, on))
    lost = Subscription.objects.filter(subscriber=OuterRef("pk"), child__status=Child.Status.LOST)
    readers = (
        Subscriber.objects.reachable()
        .for_municipality(survey.municipality)
        .filter(Exists(active))
        .exclude(Exists(lost))
    )
    if survey.target == Survey.Target.CHOSEN and survey.target_relationships:
        readers = readers.filter(relationship__in=survey.target_relationships)
    return readers


def pending_count(survey: Survey) -> int:
    """Targeted readers who have not been sent this survey yet (what 「配信する」 would add)."""
    already = Delivery.objects.filter(subscriber=OuterRef("pk"), message_key=survey.message_key)
    return targeted_readers(survey).exclude(Exists(already)).count()


@dataclass(frozen=True)
class SendResult:
    added: int
    first_time: bool


def send_survey(survey: Survey, *, by: User | None = None) -> SendResult:
    """Queue the survey to every targeted reader not yet sent it: one delivery per reader.

    One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` against the unique (reader,
    message), whatever the reader's channel: pressing 「配信する」 twice, or two staff at once, adds nothing; pressing it again
    later reaches only readers who joined since.
    """
    today, now = clock.today(), clock.now()
    if survey.state_on(today) != "open":
        raise SurveyError(
            "受付期間中のアンケートだけを配信できます。受付開始日と締め切り日を確認してください。"
        )
    if not survey.questions.exists():
        raise SurveyError("質問がありません。質問を追加してから配信してください。")
    key = outbox.MessageKey.for_record(MESSAGE_KIND, survey.pk)
    with transaction.atomic():
        added = outbox.enqueue_readers(
            key, targeted_readers(survey, on=today), due_on=today, send_from=now
        )
        first_time = bool(
            Survey.objects.filter(pk=survey.pk, first_sent_at__isnull=True).update(
                first_sent_at=now, first_sent_by=by
            )
        )
    logger.info(
        "survey %s queued for %d readers",
        survey.pk,
        added,
        extra={"event": "send_survey", "survey": survey.pk, "added": added},
    )
    return SendResult(added, first_time)


def cancel_invitations_after_loss(child: Child, **_: Any) -> int:
    """A survey invitation not yet sent would ask everyone who followed the child about it."""
    return outbox.cancel_queued(
        subscriber_ids=Subscription.objects.filter(child=child).values("subscriber_id"),
        key_prefix=outbox.kind_prefix(MESSAGE_KIND),
        reason="お別れの報告",
    )


AnswerValue = int | list[int] | str | None


def submit_response(
    survey: Survey, subscriber: Subscriber, answers: dict[int, AnswerValue]
) -> Response:
    """Record or replace the reader's one response; ``answers`` maps question id to a value.

    Values are already validated (the form): an int for satisfaction and single choice, a list
    of ints for multiple choice, a str for free text; None or empty for unanswered.
    """
    now = clock.now()
    if survey.state_on(now.date()) != "open":
        raise SurveyError("このアンケートは締め切りました。")
    return record_response(survey, subscriber, answers, at=now)


def record_response(
    survey: Survey,
    subscriber: Subscriber,
    answers: dict[int, AnswerValue],
    *,
    at: datetime.datetime,
) -> Response:
    """Write the response as of ``at`` (the open-survey check is the caller's: demo data
    records past years' answers)."""
    children = Child.objects.filter(
        subscriptions__subscriber=subscriber, subscriptions__ended_at__isnull=True
    )
    bucket = stage_buckets.reader_bucket(children, at.astimezone(clock.TOKYO).date())
    questions = {q.pk: q for q in survey.questions.all()}
    with transaction.atomic():
        response = _lock_response(survey, subscriber, at)
        response.stage_bucket = bucket
        response.relationship = subscriber.relationship
        response.updated_at = at
        response.save(update_fields=["stage_bucket", "relationship", "updated_at"])
        response.answers.all().delete()
        rows = []
        for question_id, value in answers.items():
            question = questions.get(question_id)
            if question is None:
                continue
            if question.kind == Question.Kind.TEXT:
                if value and str(value).strip():
                    rows.append(
                        Answer(response=response, question=question, text=str(value).strip())
                    )
            elif question.kind == Question.Kind.MULTIPLE:
                if not isinstance(value, list | None):
                    raise TypeError(f"question {question_id} takes a list of choices")
                rows += [
                    Answer(response=response, question=question, choice=choice)
                    for choice in sorted(set(value or []))
                ]
            elif value is not None:
                if isinstance(value, list):
                    raise TypeError(f"question {question_id} takes one choice")
                rows.append(Answer(response=response, question=question, choice=int(value)))
        Answer.objects.bulk_create(rows)
    return response


def _lock_response(survey: Survey, subscriber: Subscriber, now: datetime.datetime) -> Response:
    """The reader's response row, locked; created on the first answer.

    Two submissions at once (a double tap) both end up here: the unique constraint lets one
    insert win, and the other waits for its lock and then replaces its answers.
    """
    try:
        with transaction.atomic():
            return Response.objects.create(
                survey=survey,
                subscriber=subscriber,
                stage_bucket=stage_buckets.NO_STAGE,
                relationship=subscriber.relationship,
                answered_at=now,
                updated_at=now,
            )
    except IntegrityError:
        return Response.objects.select_for_update().get(survey=survey, subscriber=subscriber)
