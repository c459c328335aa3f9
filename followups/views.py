"""Family pages (a signed link; the manage page's session) and the health staff's queue.

Thin: resolve the link or the staff member's scope, call a service, render.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit import services as audit
from audit.decorators import audited
from kizuna import clock
from municipalities.access import roles_for_request
from municipalities.models import Municipality
from municipalities.staff_pages import signed_in_user, staff_context, staff_page
from subscribers.models import Child, Subscriber
from subscribers.tokens import Purpose, TokenError, read_token
from subscribers.views import manage_page

from . import exports, services
from .access import health_municipalities, is_health_staff
from .forms import QuestionnaireForm, TalkForm
from .models import Case, FollowupSettings, Questionnaire, Response

PAGE_SIZE = 50

# Family pages ----------------------------------------------------------------------------------


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(
        request,
        "subscribers/link_problem.html",
        {"expired": expired, "municipality": None},
        status=410 if expired else 400,
    )


def _resolve(
    request: HttpRequest, token: str
) -> tuple[Questionnaire | None, Subscriber | None, Child | None, HttpResponse | None]:
    try:
        payload = read_token(Purpose.FOLLOWUP, token)
    except TokenError as error:
        return None, None, None, _link_problem(request, expired=error.expired)
    subscriber_id, child_id, questionnaire_id = payload.get("s"), payload.get("c"), payload.get("q")
    if not (
        isinstance(subscriber_id, int)
        and isinstance(child_id, int)
        and isinstance(questionnaire_id, int)
    ):
        return None, None, None, _link_problem(request, expired=False)
    subscriber = (
        Subscriber.objects.select_related("municipality")
        .filter(pk=subscriber_id, erased_at__isnull=True)
        .first()
    )
    child = Child.objects.filter(pk=child_id, subscriptions__subscriber=subscriber).first()
    questionnaire = (
        Questionnaire.objects.select_related("municipality").filter(pk=questionnaire_id).first()
    )
    if (
        subscriber is None
        or child is None
        or questionnaire is None
        or questionnaire.municipality_id != subscriber.municipality_id
    ):
        return None, None, None, _link_problem(request, expired=False)
    return questionnaire, subscriber, child, None


def _reply_context(municipality: Municipality, case: Case | None) -> dict[str, Any]:
    return {
        "municipality": municipality,
        "case": case,
        "reply_text": FollowupSettings.of(municipality).reply_text,
        "contacts": municipality.contacts.all(),
    }


def _closed(request: HttpRequest, questionnaire: Questionnaire) -> HttpResponse:
    return render(
        request,
        "followups/closed.html",
        _reply_context(questionnaire.municipality, None) | {"questionnaire": questionnaire},
        status=410,
    )


@require_http_methods(["GET", "POST"])
@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    questionnaire, subscriber, child, problem = _resolve(request, token)
    if problem:
        return problem
    assert questionnaire and subscriber and child  # noqa: S101 (no problem: all three found)
    if Response.objects.filter(
        questionnaire=questionnaire, subscriber=subscriber, child=child
    ).exists():
        return redirect("followups:thanks", token=token)
    if not questionnaire.active or services.family_has_loss(subscriber.pk):
        return _closed(request, questionnaire)
    questions = list(questionnaire.questions.order_by("order", "pk"))
    form = QuestionnaireForm(
        request.POST if request.method == "POST" else None, questions=questions
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_answers(questionnaire, subscriber, child, form.answers())
        except services.FollowupError:
            return redirect("followups:thanks", token=token)
        return redirect("followups:thanks", token=token)
    return render(
        request,
        "followups/answer.html",
        {
            "municipality": questionnaire.municipality,
            "questionnaire": questionnaire,
            "form": form,
            "nickname": subscriber.nickname,
        },
    )


@never_cache
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    questionnaire, subscriber, child, problem = _resolve(request, token)
    if problem:
        return problem
    response = (
        Response.objects.filter(questionnaire=questionnaire, subscriber=subscriber, child=child)
        .select_related("case")
        .first()
    )
    if response is None:
        return redirect("followups:answer", token=token)
    assert questionnaire  # noqa: S101
    case = getattr(response, "case", None)
    return render(
        request,
        "followups/thanks.html",
        _reply_context(questionnaire.municipality, case) | {"questionnaire": questionnaire},
    )


@manage_page(changes=True)
@require_http_methods(["GET", "POST"])
def talk(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    """「話を聞いてほしい」, from the manage page at any time."""
    municipality = subscriber.municipality
    form = TalkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.ask_to_talk(
                subscriber,
                form.cleaned_data["message"],
                phone=form.cleaned_data["phone"],
                reachable=form.cleaned_data["reachable"],
            )
        except services.FollowupError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "followups/talk_done.html", _reply_context(municipality, case))
    return render(
        request,
        "followups/talk.html",
        {"municipality": municipality, "form": form, "contacts": municipality.contacts.all()},
    )


# Health staff ------------------------------------------------------------------------------


def health_page(view: Any) -> Any:
    """Staff pages of the queue: the municipality's 保健師 (and superusers) only."""

    @staff_page
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_health_staff(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _case_for(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related("municipality", "subscriber", "child", "assignee", "response"),
        pk=pk,
        municipality__in=health_municipalities(request),
    )


def _chosen(request: HttpRequest) -> tuple[Any, Municipality | None]:
    municipalities = health_municipalities(request).order_by("code")
    raw = request.GET.get("municipality", "")
    chosen = municipalities.filter(pk=int(raw)).first() if raw.isdigit() else None
    return municipalities, chosen


@audited("view", "followups.cases")
@health_page
@never_cache
def cases(request: HttpRequest) -> HttpResponse:
    municipalities, chosen = _chosen(request)
    today = clock.today()
    found = Case.objects.filter(
        municipality__in=[chosen] if chosen else municipalities
    ).select_related("municipality", "subscriber", "child", "assignee")
    state = request.GET.get("state", "open")
    if state == "open":
        found = found.exclude(state=Case.State.CLOSED)
    elif state in Case.State.values:
        found = found.filter(state=state)
    if request.GET.get("overdue"):
        found = found.filter(due_on__lt=today).exclude(state=Case.State.CLOSED)
    page = Paginator(found.order_by("due_on", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "followups/staff/cases.html",
        staff_context(
            request,
            "フォローアップ（保健師）",
            municipalities=municipalities,
            chosen=chosen,
            page=page,
            state=state,
            states=Case.State.choices,
            overdue=bool(request.GET.get("overdue")),
            today=today,
        ),
    )


def _render_case(request: HttpRequest, found: Case, error: str = "") -> HttpResponse:
    response = found.response
    answers = []
    if response is not None:
        for item in response.answers.select_related("question"):
            options = item.question.parsed_options()
            chosen = [options[i - 1].label for i in item.choices if 1 <= i <= len(options)]
            answers.append((item.question, item.text or "、".join(chosen), item.points))
    return render(
        request,
        "followups/staff/case.html",
        staff_context(
            request,
            f"ケース{found.pk}",
            case=found,
            answers=answers,
            notes=found.notes.all(),
            staff=services.health_staff(found.municipality_id),
            states=Case.State.choices,
            outcomes=Case.Outcome.choices,
            today=clock.today(),
            error=error,
        ),
    )


@audited("view", "followups.case")
@health_page
@never_cache
def case(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _case_for(request, pk))


@health_page
@require_POST
def update(request: HttpRequest, pk: int) -> HttpResponse:
    """A change is recorded by the audit middleware (a POST answered with a redirect); a refused
    one changes nothing and shows the case again, recorded here as a view."""
    found = _case_for(request, pk)
    raw_assignee = request.POST.get("assignee", "")
    assignee = None
    if raw_assignee.isdigit():
        assignee = User.objects.filter(pk=int(raw_assignee)).first()
    try:
        services.update_case(
            found,
            by=signed_in_user(request),
            state=request.POST.get("state", ""),
            outcome=request.POST.get("outcome", ""),
            assignee=assignee,
            note=request.POST.get("note", ""),
        )
    except services.FollowupError as error:
        audit.record("view", request=request, target="followups.case", target_id=found.pk)
        return _render_case(request, _case_for(request, pk), str(error))
    messages.success(request, "ケースを更新しました。")
    return redirect("followups:case", pk=found.pk)


@audited("export", "followups.cases")
@health_page
def export(request: HttpRequest) -> HttpResponse:
    """Cases and answers for the 母子保健 system, as UTF-8 with a BOM or as Shift_JIS."""
    municipalities, chosen = _chosen(request)
    if chosen is None:
        if municipalities.count() != 1:
            raise PermissionDenied
        chosen = municipalities.get()
    encoding = exports.Encoding.from_request(request.GET.get("encoding"))
    return exports.download(chosen, encoding)


def _importable_municipalities(request: HttpRequest) -> Any:
    roles = roles_for_request(request)
    if roles.superuser:
        return Municipality.objects.order_by("code")
    return Municipality.objects.filter(pk__in=roles.editor_of | roles.health_of).order_by("code")


IMPORT_LIMIT = 512 * 1024


@staff_page
@require_http_methods(["GET", "POST"])
def import_file(request: HttpRequest) -> HttpResponse:
    """Load a questionnaire from the JSON import format: the municipality's editors and 保健師."""
    municipalities = _importable_municipalities(request)
    if not municipalities.exists():
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        raw = request.POST.get("municipality", "")
        chosen = municipalities.filter(pk=int(raw)).first() if raw.isdigit() else None
        upload = request.FILES.get("file")
        try:
            if chosen is None:
                raise services.FollowupError("自治体を選んでください。")
            if upload is None:
                raise services.FollowupError("JSONファイルを選んでください。")
            if upload.size is None or upload.size > IMPORT_LIMIT:
                raise services.FollowupError("ファイルが大きすぎます（512KBまで）。")
            try:
                data = json.loads(upload.read().decode("utf-8-sig"))
            except UnicodeDecodeError as problem:
                raise services.FollowupError(
                    "UTF-8で保存したJSONファイルを選んでください。"
                ) from problem
            except json.JSONDecodeError as problem:
                raise services.FollowupError(
                    f"JSONとして読めません（{problem.lineno}行目 {problem.colno}文字目）。"
                ) from problem
            questionnaire = services.import_questionnaire(chosen, data)
        except services.FollowupError as problem:
            error = str(problem)
        else:
            messages.success(
                request,
                f"「{questionnaire.title}」（{questionnaire.stage_label}）を登録しました。",
            )
            return redirect("admin:followups_questionnaire_change", questionnaire.pk)
    return render(
        request,
        "followups/staff/import.html",
        staff_context(
            request, "記名アンケートの読み込み", municipalities=municipalities, error=error
        ),
    )
