"""Survey pages: the reader's form (signed link), the public results, and staff pages.

Thin: resolve the link or the staff user's scope, call a service or selector, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from audit.decorators import audited
from content.timeline import preview_urls
from content.validators import LINE_TEXT_LIMIT
from kizuna import clock, spreadsheets
from municipalities.access import roles_for_request
from municipalities.models import Municipality
from municipalities.staff_pages import signed_in_user, staff_context, staff_page
from subscribers.links import absolute
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, TokenError, read_token

from . import exports, services, stage_buckets
from .access import can_send, readable_surveys, survey_municipalities
from .forms import AnswerForm, initial_from
from .messages import render_invitation
from .models import Response, Survey
from .selectors import published_years, survey_results

# Reader pages -----------------------------------------------------------------------------


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(
        request,
        "subscribers/link_problem.html",
        {"expired": expired, "municipality": None},
        status=410 if expired else 400,
    )


def _resolve(request: HttpRequest, token: str):
    """(survey, subscriber) for a valid link, or the page that explains why it is not."""
    try:
        payload = read_token(Purpose.SURVEY, token)
    except TokenError as error:
        return None, None, _link_problem(request, expired=error.expired)
    subscriber = (
        Subscriber.objects.select_related("municipality")
        .filter(pk=payload.get("s"), erased_at__isnull=True)
        .first()
    )
    survey = (
        Survey.objects.select_related("municipality").filter(pk=payload.get("v")).first()
        if subscriber
        else None
    )
    if subscriber is None or survey is None or survey.municipality_id != subscriber.municipality_id:
        return None, None, _link_problem(request, expired=False)
    return survey, subscriber, None


def _not_open(request: HttpRequest, survey: Survey, state: str) -> HttpResponse:
    return render(
        request,
        "surveys/not_open.html",
        {"municipality": survey.municipality, "survey": survey, "state": state},
        status=410 if state == "closed" else 200,
    )


def _questions(survey: Survey) -> list:
    return list(survey.questions.order_by("order", "pk"))


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The survey form; the reader's earlier answers are filled in to change until it closes."""
    survey, subscriber, problem = _resolve(request, token)
    if problem:
        return problem
    state = survey.state_on(clock.today())
    if state != "open":
        return _not_open(request, survey, state)
    questions = _questions(survey)
    response = Response.objects.filter(survey=survey, subscriber=subscriber).first()
    form = AnswerForm(
        request.POST if request.method == "POST" else None,
        survey=survey,
        questions=questions,
        initial=initial_from(response, questions),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_response(survey, subscriber, form.answers())
        except services.SurveyError:
            return _not_open(request, survey, "closed")
        return redirect("surveys:thanks", token=token)
    return render(
        request,
        "surveys/answer.html",
        {
            "municipality": survey.municipality,
            "survey": survey,
            "form": form,
            "response": response,
            "nickname": subscriber.nickname,
        },
    )


def thanks(request: HttpRequest, token: str) -> HttpResponse:
    survey, subscriber, problem = _resolve(request, token)
    if problem:
        return problem
    response = Response.objects.filter(survey=survey, subscriber=subscriber).first()
    if response is None:
        return redirect("surveys:answer", token=token)
    return render(
        request,
        "surveys/thanks.html",
        {
            "municipality": survey.municipality,
            "survey": survey,
            "token": token,
            "open": survey.state_on(clock.today()) == "open",
        },
    )


# Public results ---------------------------------------------------------------------------


def public_results(request: HttpRequest, slug: str) -> HttpResponse:
    """Past fiscal years' published surveys with their satisfaction, like municipalities' pages."""
    municipality = get_object_or_404(Municipality, slug=slug)
    surveys = Survey.objects.for_municipality(municipality).published_results(clock.today())
    return render(
        request,
        "surveys/public_list.html",
        {"municipality": municipality, "years": published_years(surveys)},
    )


def public_result(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    municipality = get_object_or_404(Municipality, slug=slug)
    survey = get_object_or_404(
        Survey.objects.for_municipality(municipality).published_results(clock.today()), pk=pk
    )
    return render(
        request,
        "surveys/public_detail.html",
        {
            "municipality": municipality,
            "survey": survey,
            "results": survey_results(survey, with_texts=False),
        },
    )


# Staff pages ------------------------------------------------------------------------------


def _staff_survey(request: HttpRequest, pk: int) -> Survey:
    """The survey if the user works for its municipality; 404 otherwise, whoever asks."""
    return get_object_or_404(readable_surveys(request), pk=pk)


@staff_page
def staff_list(request: HttpRequest) -> HttpResponse:
    municipalities = survey_municipalities(request).order_by("code")
    roles = roles_for_request(request)
    surveys = readable_surveys(request)
    chosen = request.GET.get("municipality", "")
    if chosen.isdigit():
        surveys = surveys.filter(municipality_id=int(chosen))
    page = Paginator(surveys.order_by("-fiscal_year", "-opens_on", "-pk"), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "surveys/staff/list.html",
        staff_context(
            request,
            "読者アンケート",
            page=page,
            municipalities=municipalities,
            chosen=chosen,
            today=clock.today(),
            can_add=roles.superuser or bool(roles.editor_of),
        ),
    )


def _sample_rendered(survey: Survey):
    manage_url, unsubscribe_url = preview_urls(survey.municipality)
    return render_invitation(
        survey,
        municipality=survey.municipality,
        nickname="はな",
        # A stand-in for the reader's personal link: it opens nothing.
        survey_url=absolute(f"/survey/preview-{survey.pk}/"),
        contacts=list(survey.municipality.contacts.all()),
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )


@staff_page
def staff_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The form as readers see it on a phone, the invitation in its three formats, the target."""
    survey = _staff_survey(request, pk)
    questions = _questions(survey)
    form_html = render_to_string(
        "surveys/answer.html",
        {
            "municipality": survey.municipality,
            "survey": survey,
            "form": AnswerForm(survey=survey, questions=questions),
            "preview": True,
            "nickname": "はな",
        },
        request=request,
    )
    return render(
        request,
        "surveys/staff/preview.html",
        staff_context(
            request,
            f"{survey}のプレビュー",
            survey=survey,
            questions=questions,
            form_html=form_html,
            rendered=_sample_rendered(survey),
            line_limit=LINE_TEXT_LIMIT,
            targeted=services.targeted_readers(survey).count(),
            pending=services.pending_count(survey),
            target_stages=[stage_buckets.LABELS[c] for c in survey.target_stages],
            target_relationships=[
                label
                for value, label in Subscriber.Relationship.choices
                if value in survey.target_relationships
            ],
            state=survey.state_on(clock.today()),
            can_send=can_send(request, survey),
        ),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def staff_send(request: HttpRequest, pk: int) -> HttpResponse:
    """「配信する」: a confirmation page, then one set-based insert of deliveries."""
    survey = _staff_survey(request, pk)
    if not can_send(request, survey):
        raise PermissionDenied
    if request.method == "POST":
        try:
            result = services.send_survey(survey, by=signed_in_user(request))
        except services.SurveyError as error:
            messages.error(request, str(error))
        else:
            if result.added:
                messages.success(
                    request,
                    f"{result.added}人への配信を予定しました。数分以内に送信が始まります。",
                )
            else:
                messages.info(
                    request, "新しく送る相手はいませんでした（送信済みの人には送りません）。"
                )
        return redirect("surveys:staff_preview", pk=survey.pk)
    return render(
        request,
        "surveys/staff/send.html",
        staff_context(
            request,
            f"{survey}を配信する",
            survey=survey,
            pending=services.pending_count(survey),
            state=survey.state_on(clock.today()),
            has_questions=survey.questions.exists(),
        ),
    )


@audited("view", "surveys.responses")
@staff_page
def staff_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff_survey(request, pk)
    return render(
        request,
        "surveys/staff/results.html",
        staff_context(
            request,
            f"{survey}の結果",
            survey=survey,
            results=survey_results(survey),
            today=clock.today(),
            public_url=reverse("surveys:public_results", args=[survey.municipality.slug]),
        ),
    )


@audited("export", "surveys.responses")
@staff_page
def staff_responses_csv(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff_survey(request, pk)
    return spreadsheets.table_download(
        exports.responses_rows(survey),
        f"survey-{survey.pk}-fy{survey.fiscal_year}-responses",
        spreadsheets.Format.from_request(request.GET.get("format")),
    )


@audited("export", "surveys.summary")
@staff_page
def staff_summary_csv(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _staff_survey(request, pk)
    return spreadsheets.table_download(
        exports.summary_rows(survey_results(survey, with_texts=False)),
        f"survey-{survey.pk}-fy{survey.fiscal_year}-summary",
        spreadsheets.Format.from_request(request.GET.get("format")),
    )
