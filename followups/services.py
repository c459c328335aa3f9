"""What families and health staff do with questionnaires and cases: plain functions.

Views, tasks, the admin and the management command all call these; each writes in one
transaction, so a refused input changes nothing.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.urls import reverse

from delivery.models import Delivery
from kizuna import clock
from municipalities.models import Municipality, StaffMembership
from subscribers.links import absolute
from subscribers.models import Child, Subscriber, Subscription

from .models import (
    MESSAGE_KIND,
    Answer,
    Case,
    CaseNote,
    FollowupSettings,
    MorningMail,
    Question,
    Questionnaire,
    Response,
)
from .scoring import Given, OptionError, evaluate, parse_options
from .workdays import add_working_days, is_closed

# What the form gives per question id: chosen option numbers (1-based) or a written text.
AnswerValue = list[int] | str
MESSAGE_LIMIT = 1000
PHONE = re.compile(r"0\d{1,4}-?\d{1,4}-?\d{3,4}")
LOSS_REASON = "お別れの報告があったためアンケートは送りません"
LOSS_NOTE = (
    "お子さまとのお別れ（流産・死産・お子さまの死亡）の報告がありました。アンケートは止めています。"
)


class FollowupError(Exception):
    """A refused action; the message is for the person who tried it."""


# Families ------------------------------------------------------------------------------------


def family_has_loss(subscriber_id: int) -> bool:
    """After a loss reported for any child they follow, a family gets no questionnaire at all."""
    return Subscription.objects.filter(
        subscriber_id=subscriber_id, child__status=Child.Status.LOST
    ).exists()


def contact_due(municipality: Municipality, opened: datetime.date) -> datetime.date:
    rules = FollowupSettings.of(municipality)
    return add_working_days(opened, rules.contact_within_days, year_end=rules.closed_year_end)


def submit_answers(
    questionnaire: Questionnaire,
    subscriber: Subscriber,
    child: Child,
    answers: Mapping[int, AnswerValue],
) -> Response:
    """Record the family's one response; open a case if it asks for contact or crosses a line."""
    if family_has_loss(subscriber.pk) or child.status == Child.Status.LOST:
        raise FollowupError("このアンケートは受け付けを終了しています。")
    questions = list(questionnaire.questions.order_by("order", "pk"))
    given: list[Given] = []
    rows: list[Answer] = []
    for number, question in enumerate(questions, start=1):
        value = answers.get(question.pk, "" if question.kind == Question.Kind.TEXT else [])
        if question.kind == Question.Kind.TEXT:
            rows.append(Answer(question=question, text=str(value)))
            continue
        options = question.parsed_options()
        chosen = [int(i) for i in value] if isinstance(value, list) else []
        if any(not 1 <= i <= len(options) for i in chosen):
            raise FollowupError("選択肢の中から選んでください。")
        item = Given(number, options, tuple(chosen), question.item_threshold)
        given.append(item)
        rows.append(Answer(question=question, choices=chosen, points=item.points))
    result = evaluate(given, total_threshold=questionnaire.total_threshold)
    now = clock.now()
    try:
        with transaction.atomic():
            response = Response.objects.create(
                questionnaire=questionnaire,
                municipality_id=questionnaire.municipality_id,
                subscriber=subscriber,
                child=child,
                total_score=result.total,
                wants_contact=result.wants_contact,
                reasons=result.reasons,
            )
            for row in rows:
                row.response = response
            Answer.objects.bulk_create(rows)
            if result.opens_case:
                Case.objects.create(
                    municipality_id=questionnaire.municipality_id,
                    subscriber=subscriber,
                    child=child,
                    response=response,
                    reason=Case.Reason.THRESHOLD if result.crossed else Case.Reason.CONTACT,
                    detail=f"{questionnaire.title}: " + "、".join(result.reasons),
                    due_on=contact_due(
                        questionnaire.municipality, now.astimezone(clock.TOKYO).date()
                    ),
                )
    except IntegrityError as error:
        raise FollowupError("このアンケートには、もう回答をいただいています。") from error
    return response


def ask_to_talk(
    subscriber: Subscriber, message: str, *, phone: str = "", reachable: str = ""
) -> Case:
    """「話を聞いてほしい」: one open case per family; asking again adds to it."""
    message, reachable = message.strip(), reachable.strip()
    phone = unicodedata.normalize("NFKC", phone).strip().replace("ー", "-")
    if len(message) > MESSAGE_LIMIT:
        raise FollowupError(f"ひとことは{MESSAGE_LIMIT}文字以内でお書きください。")
    if phone and not (PHONE.fullmatch(phone) and len(re.sub(r"\D", "", phone)) in (10, 11)):
        raise FollowupError(
            "電話番号は数字とハイフンで、10〜11桁をお書きください（例: 090-1234-5678）。"
        )
    if len(reachable) > 100:
        raise FollowupError("連絡のつきやすい時間は100文字以内でお書きください。")
    with transaction.atomic():
        open_case = (
            Case.objects.select_for_update()
            .filter(subscriber=subscriber, reason=Case.Reason.TALK)
            .exclude(state=Case.State.CLOSED)
            .first()
        )
        if open_case is not None:
            added = [
                f"{label}{value}"
                for label, value in (
                    ("（追加のひとこと）", message),
                    ("（電話番号）", phone),
                    ("（連絡のつきやすい時間）", reachable),
                )
                if value
            ]
            if added:
                CaseNote.objects.create(case=open_case, author_name="保護者", text="\n".join(added))
            if phone or reachable:
                open_case.phone = phone or open_case.phone
                open_case.reachable = reachable or open_case.reachable
                open_case.save(update_fields=["phone", "reachable"])
            return open_case
        child = (
            Child.objects.filter(subscriptions__subscriber=subscriber, subscriptions__ended_at=None)
            .exclude(status__in=[Child.Status.CANCELLED])
            .order_by("-pk")
            .first()
        )
        return Case.objects.create(
            municipality_id=subscriber.municipality_id,
            subscriber=subscriber,
            child=child,
            reason=Case.Reason.TALK,
            detail="管理ページの「話を聞いてほしい」から",
            message=message,
            phone=phone,
            reachable=reachable,
            due_on=contact_due(subscriber.municipality, clock.today()),
        )


def stop_after_loss(child: Child, **_: Any) -> int:
    """A questionnaire not yet sent would ask a grieving family about the child: skip them all.
    The family's open cases get a note, so the 保健師 who calls knows before speaking."""
    family = Subscription.objects.filter(child=child).values("subscriber_id")
    CaseNote.objects.bulk_create(
        CaseNote(case=case, author_name="Kizuna", text=LOSS_NOTE)
        for case in Case.objects.filter(subscriber_id__in=family).exclude(state=Case.State.CLOSED)
    )
    return Delivery.objects.filter(
        status=Delivery.Status.PLANNED,
        subscriber_id__in=family,
        message_key__contains=f":{MESSAGE_KIND}:",
    ).update(status=Delivery.Status.SKIPPED, last_error=LOSS_REASON)


# Health staff ----------------------------------------------------------------------------------


def health_staff(municipality_id: int) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        is_staff=True,
        memberships__municipality_id=municipality_id,
        memberships__role=StaffMembership.Role.HEALTH,
    ).order_by("username")


def update_case(
    case: Case,
    *,
    by: User,
    state: str,
    outcome: str = "",
    assignee: User | None = None,
    note: str = "",
) -> Case:
    """Move a case on; closing needs an outcome, and every change leaves a line in its notes."""
    if state not in Case.State.values:
        raise FollowupError("状態を選んでください。")
    if state == Case.State.CLOSED and outcome not in Case.Outcome.values:
        raise FollowupError("終了するときは結果を選んでください。")
    if (
        assignee is not None
        and not health_staff(case.municipality_id).filter(pk=assignee.pk).exists()
    ):
        raise FollowupError("担当はこの自治体の保健師から選んでください。")
    note = note.strip()
    if len(note) > 4000:
        raise FollowupError("記録は4000文字以内でお書きください。")
    changes = []
    if state != case.state:
        changes.append(f"状態: {Case.State(case.state).label} → {Case.State(state).label}")
    if (assignee.pk if assignee else None) != case.assignee_id:
        changes.append(f"担当: {assignee.get_username() if assignee else 'なし'}")
    with transaction.atomic():
        case.state = state
        case.assignee = assignee
        case.outcome = outcome if state == Case.State.CLOSED else ""
        case.closed_at = clock.now() if state == Case.State.CLOSED else None
        if state == Case.State.CLOSED:
            changes.append(f"結果: {Case.Outcome(outcome).label}")
        case.save()
        text = "\n".join([*changes, note] if note else changes)
        if text:
            CaseNote.objects.create(case=case, author=by, author_name=by.get_username(), text=text)
    return case


def overdue(today: datetime.date) -> QuerySet[Case]:
    return Case.objects.exclude(state=Case.State.CLOSED).filter(due_on__lt=today)


def overdue_counts(
    municipality_ids: Collection[int] | None, today: datetime.date
) -> dict[int, int]:
    """Overdue cases per municipality id (no names: the dashboard shows counts only)."""
    cases = overdue(today)
    if municipality_ids is not None:
        cases = cases.filter(municipality_id__in=municipality_ids)
    rows = cases.values("municipality_id").annotate(n=Count("pk")).order_by()
    return {row["municipality_id"]: row["n"] for row in rows}


def send_morning_mails(today: datetime.date | None = None) -> int:
    """Tell each municipality's health staff how many cases are overdue; once a day, working
    days only. The mail carries counts and a link, never a family's name."""
    today = today or clock.today()
    sent = 0
    for municipality_id, count in overdue_counts(None, today).items():
        municipality = Municipality.objects.get(pk=municipality_id)
        rules = FollowupSettings.of(municipality)
        if is_closed(today, year_end=rules.closed_year_end):
            continue
        recipients = [u.email for u in health_staff(municipality_id) if u.email]
        if not recipients:
            continue
        with transaction.atomic():
            _mail, created = MorningMail.objects.get_or_create(
                municipality=municipality, day=today, defaults={"cases": count}
            )
            if not created:
                continue
            send_mail(
                f"【{municipality.name}】連絡の期限を過ぎたケースが{count}件あります",
                (
                    f"{municipality.name} 保健師のみなさま\n\n"
                    f"{today.month}月{today.day}日の朝の時点で、連絡の期限を過ぎたフォローアップの"
                    f"ケースが{count}件あります。\n"
                    "ご家庭のお名前や回答は、このメールには載せていません。"
                    "一覧からご確認ください。\n\n"
                    f"{absolute(reverse('followups:cases'))}?municipality={municipality_id}&overdue=1\n"
                ),
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
        sent += 1
    return sent


# Keeping and erasing ---------------------------------------------------------------------------


def erase_expired(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Delete answers and cases older than the retention period; (responses, cases) deleted."""
    cutoff = (now or clock.now()) - datetime.timedelta(days=settings.KIZUNA_FOLLOWUP_RETENTION_DAYS)
    with transaction.atomic():
        cases, _ = Case.objects.filter(opened_at__lt=cutoff).delete()
        responses = Response.objects.filter(answered_at__lt=cutoff)
        count = responses.count()
        responses.delete()
    return count, cases


def erase_readers(subscriber_ids: list[int]) -> None:
    Case.objects.filter(subscriber_id__in=subscriber_ids).delete()
    Response.objects.filter(subscriber_id__in=subscriber_ids).delete()


# Importing a municipality's own questionnaire ------------------------------------------------

KINDS = {kind.value for kind in Question.Kind}


def _text(data: Mapping[str, Any], key: str, where: str, *, limit: int, required: bool) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise FollowupError(f"{where}の「{key}」は文字で書いてください。")
    value = value.strip()
    if required and not value:
        raise FollowupError(f"{where}の「{key}」がありません。")
    if len(value) > limit:
        raise FollowupError(f"{where}の「{key}」は{limit}文字以内にしてください。")
    return value


def _threshold(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 999:
        raise FollowupError(f"{where}の「{key}」は0〜999の整数にしてください。")
    return value


def _option_lines(raw: Any, where: str, *, scored: bool) -> str:
    if not isinstance(raw, list):
        raise FollowupError(f"{where}の「options」は選択肢のリストにしてください。")
    lines = []
    for option in raw:
        if isinstance(option, str):
            option = {"label": option}
        if not isinstance(option, dict) or not isinstance(option.get("label"), str):
            raise FollowupError(f'{where}の選択肢は {{"label": …}} の形にしてください。')
        parts = [option["label"].strip()]
        if scored:
            points = option.get("points")
            if not isinstance(points, int) or isinstance(points, bool) or points < 0:
                raise FollowupError(f"{where}の選択肢「{parts[0]}」に0以上の点数がありません。")
            parts.insert(0, str(points))
        if option.get("contact"):
            parts.append("連絡")
        lines.append("|".join(parts))
    text = "\n".join(lines)
    try:
        options = parse_options(text, scored=scored)
    except OptionError as error:
        raise FollowupError(f"{where}: {error}") from error
    if not 2 <= len(options) <= 20:
        raise FollowupError(f"{where}の選択肢は2〜20個にしてください。")
    return text


def import_questionnaire(municipality: Municipality, data: Any) -> Questionnaire:
    """A questionnaire from the JSON import format (README); all or nothing."""
    if not isinstance(data, dict):
        raise FollowupError("ファイルの中身は1つのオブジェクト（{…}）にしてください。")
    title = _text(data, "title", "アンケート", limit=100, required=True)
    stage = data.get("stage")
    if not isinstance(stage, dict):
        raise FollowupError(
            '「stage」（送る時期）がありません。例: {"track": "pregnancy", "unit": "week", "number": 32}'
        )
    track, unit, number = stage.get("track"), stage.get("unit"), stage.get("number")
    if track not in ("pregnancy", "child") or unit not in ("day", "week", "month"):
        raise FollowupError(
            "「stage」の track は pregnancy か child、unit は day・week・month にしてください。"
        )
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 400:
        raise FollowupError("「stage」の number は0〜400の整数にしてください。")
    if track == "pregnancy" and unit == "month" and number < 1:
        raise FollowupError("妊娠の月数は1から数えます。")
    questions = data.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= 50:
        raise FollowupError("「questions」に質問を1〜50個並べてください。")
    built = []
    for number_on_form, raw in enumerate(questions, start=1):
        where = f"問{number_on_form}"
        if not isinstance(raw, dict):
            raise FollowupError(f'{where}は {{"text": …, "kind": …}} の形にしてください。')
        kind = raw.get("kind", "single")
        if kind not in KINDS:
            raise FollowupError(
                f"{where}の「kind」は single・multiple・text・scored のどれかにしてください。"
            )
        required = raw.get("required", True)
        if not isinstance(required, bool):
            raise FollowupError(f"{where}の「required」は true か false にしてください。")
        item_threshold = _threshold(raw, "threshold", where)
        if item_threshold is not None and kind != "scored":
            raise FollowupError(f"{where}: しきい値は点数つき（scored）の質問にだけ設定できます。")
        built.append(
            Question(
                order=number_on_form,
                kind=kind,
                text=_text(raw, "text", where, limit=300, required=True),
                help_text=_text(raw, "help_text", where, limit=300, required=False),
                options=""
                if kind == "text"
                else _option_lines(raw.get("options"), where, scored=kind == "scored"),
                required=required,
                item_threshold=item_threshold,
            )
        )
    with transaction.atomic():
        questionnaire = Questionnaire.objects.create(
            municipality=municipality,
            title=title,
            intro=_text(data, "intro", "アンケート", limit=2000, required=False),
            track=track,
            unit=unit,
            number=number,
            total_threshold=_threshold(data, "total_threshold", "アンケート"),
            source=_text(data, "source", "アンケート", limit=200, required=False),
            active=data.get("active", True) is True,
        )
        for question in built:
            question.questionnaire = questionnaire
        Question.objects.bulk_create(built)
    return questionnaire
