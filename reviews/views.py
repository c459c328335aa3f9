"""Review pages: the queue, one version (diff, decisions, comments), the paper packet and sheet,
the editors' scores; and the readers' feedback page. Thin: parse, call a service, render."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from audit import services as audit
from content.models import StageMessage
from kizuna.fonts import FontUnavailable
from kizuna.spreadsheets import XLSX_CONTENT_TYPE
from municipalities.access import roles_for_request
from municipalities.staff_pages import staff_context
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, TokenError, read_token

from . import selectors, services
from .models import FIELD_GROUP_LABELS, Field, TextVersion, Vote
from .packet import packet_pdf
from .spreadsheet import SheetProblem, export, import_decisions

View = Callable[..., HttpResponse]


def review_page(view: View) -> View:
    """Staff login; reviewers, national editors and municipal staff only."""

    @functools.wraps(view)
    @staff_member_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if services.reviewer_of(request.user) is None and not roles_for_request(request).any_role:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> dict[str, str]:
    wanted: dict[str, tuple[str, dict[str, Any]]] = {
        "field": (request.GET.get("field", ""), dict(Field.choices)),
        "track": (request.GET.get("track", ""), selectors.TRACKS),
        "state": (request.GET.get("state", ""), selectors.STATE_FILTERS),
    }
    chosen = {name: value if value in allowed else "" for name, (value, allowed) in wanted.items()}
    chosen["stage"] = request.GET.get("stage", "").strip()[:40]
    return chosen


def requirement_note() -> str:
    """「2人以上の承認（医師（産婦人科医または小児科医）を含む）」, from the settings."""
    groups = "・".join(
        str(FIELD_GROUP_LABELS.get(g, g)) for g in settings.KIZUNA_REVIEW_REQUIRED_FIELDS
    )
    note = f"{settings.KIZUNA_REVIEW_APPROVALS}人以上の承認"
    return f"{note}（{groups}を含む）" if groups else note


@review_page
def queue(request: HttpRequest) -> HttpResponse:
    services.record_all_versions()
    filters = _filters(request)
    versions = selectors.queue(request.user, **filters)
    query = request.GET.urlencode()
    return render(
        request,
        "reviews/queue.html",
        staff_context(
            request,
            "医療監修の一覧",
            versions=versions[:300],
            total=len(versions),
            filters=filters,
            fields=Field.choices,
            tracks=selectors.TRACKS.items(),
            states=selectors.STATE_FILTERS.items(),
            reviewer=services.reviewer_of(request.user),
            query=query,
            requirement_note=requirement_note(),
        ),
    )


def _visible(request: HttpRequest, pk: int) -> TextVersion:
    """The version, if its text is one the user may see (another municipality's: 404)."""
    version = get_object_or_404(TextVersion.objects.select_related("text_type"), pk=pk)
    visible = selectors.visible_versions(request.user).filter(
        text_type=version.text_type_id, text_id=version.text_id
    )
    if not visible.exists():
        raise Http404
    return version


ACTIONS = {"approve", "changes", "comment", "submit", "re_review"}


@review_page
@require_http_methods(["GET", "POST"])
def version(request: HttpRequest, pk: int) -> HttpResponse:
    version = _visible(request, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        comment = request.POST.get("comment", "")
        read = request.POST.get("content_hash", "")
        try:
            if action not in ACTIONS:
                raise services.ReviewError("操作を選んでください。")
            if read != version.content_hash:
                raise services.ReviewError(
                    "読んだ版と現在の版が違います。本文が変わったので、読み直してください。"
                )
            if action in ("approve", "changes"):
                services.decide(
                    version,
                    user=request.user,
                    approve=action == "approve",
                    comment=comment,
                    content_hash=read,
                )
                messages.success(
                    request,
                    "承認を記録しました。" if action == "approve" else "修正依頼を記録しました。",
                )
            elif action == "comment":
                services.add_comment(version, user=request.user, body=comment)
                messages.success(request, "コメントを記録しました。")
            elif action == "submit":
                services.submit(version, user=request.user)
                messages.success(request, "監修に出しました。")
            else:
                services.start_re_review(version, user=request.user)
                messages.success(request, "再監修を始めました。")
        except services.ReviewError as error:
            messages.error(request, str(error))
        return redirect("reviews:version", pk=version.pk)
    previous = selectors.last_approved(version)
    reviewer = services.reviewer_of(request.user)
    decisions = services.current_decisions(version)
    needed = services.requirement(decisions, version.language)
    text = services.text_of(version)
    score = services.score_of(text) if isinstance(text, StageMessage) else None
    comments_by_readers = (
        list(Vote.objects.filter(stage_message=text).exclude(comment="").order_by("-at")[:20])
        if score is not None and score.shown
        else []
    )
    return render(
        request,
        "reviews/version.html",
        staff_context(
            request,
            f"医療監修：{version.stage_label}",
            version=version,
            previous=previous,
            diff=selectors.side_by_side(
                selectors.full_text(previous) if previous else "", selectors.full_text(version)
            ),
            decisions=decisions,
            needed=needed,
            missing_labels=[str(FIELD_GROUP_LABELS.get(g, g)) for g in needed.missing_groups],
            comments=version.comments.select_related("author"),
            reviewer=reviewer,
            may_decide=(
                reviewer is not None
                and services.may_review(reviewer, version)
                and version.state == TextVersion.State.IN_REVIEW
                and version.current
                and version.edited_by_id != request.user.pk
            ),
            own_edit=version.edited_by_id == request.user.pk,
            may_edit=services.may_edit(request.user, version),
            due=services.due_for_re_review().filter(pk=version.pk).exists(),
            score=score,
            reader_comments=comments_by_readers,
            history=TextVersion.objects.filter(
                text_type=version.text_type_id, text_id=version.text_id
            ).order_by("-created_at"),
        ),
    )


def _chosen_versions(request: HttpRequest) -> list[TextVersion]:
    ids = [int(i) for i in request.GET.getlist("id") if i.isdigit()]
    if ids:
        return list(
            selectors.visible_versions(request.user).filter(pk__in=ids).order_by("sort_key")
        )
    return selectors.queue(request.user, **_filters(request))[:300]


@review_page
def packet(request: HttpRequest) -> HttpResponse:
    versions = _chosen_versions(request)
    if not versions:
        messages.error(request, "印刷する本文がありません。絞り込みを変えてください。")
        return redirect(reverse("reviews:queue") + "?" + request.GET.urlencode())
    try:
        body = packet_pdf(versions)
    except FontUnavailable as error:
        messages.error(request, str(error))
        return redirect("reviews:queue")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="review-packet.pdf"'
    return response


@review_page
def export_sheet(request: HttpRequest) -> HttpResponse:
    versions = _chosen_versions(request)
    audit.record("export", request=request, target="reviews.TextVersion", rows=len(versions))
    response = HttpResponse(export(versions), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="review-decisions.xlsx"'
    return response


@review_page
@require_http_methods(["GET", "POST"])
def import_sheet(request: HttpRequest) -> HttpResponse:
    outcomes = None
    if request.method == "POST":
        upload = request.FILES.get("sheet")
        if upload is None:
            messages.error(request, "ファイルを選んでください。")
        else:
            try:
                outcomes = import_decisions(upload.read(), user=request.user)
            except SheetProblem as error:
                messages.error(request, str(error))
    return render(
        request,
        "reviews/import.html",
        staff_context(request, "監修シートの取り込み", outcomes=outcomes),
    )


@review_page
def scores(request: HttpRequest) -> HttpResponse:
    """Each stage message's reader score; counts under the minimum are hidden."""
    roles = roles_for_request(request)
    if not (roles.superuser or roles.content_editor or services.reviewer_of(request.user)):
        raise PermissionDenied
    rows = []
    for text in (
        StageMessage.objects.filter(votes__isnull=False)
        .distinct()
        .order_by("track", "unit", "number")
    ):
        rows.append((text, services.score_of(text)))
    return render(
        request,
        "reviews/scores.html",
        staff_context(request, "読者の評価", rows=rows),
    )


# Readers --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def feedback(request: HttpRequest, token: str) -> HttpResponse:
    """「役に立った」／「いまひとつ」 from a mail link: no login, the signed link is the key."""
    try:
        payload = read_token(Purpose.FEEDBACK, token)
    except TokenError as error:
        return render(
            request,
            "subscribers/link_problem.html",
            {"expired": error.expired},
            status=410 if error.expired else 400,
        )
    subscriber_id, key, text_id = payload.get("s"), payload.get("k"), payload.get("m")
    subscriber = (
        Subscriber.objects.select_related("municipality").filter(pk=subscriber_id).first()
        if isinstance(subscriber_id, int)
        else None
    )
    if subscriber is None or not isinstance(key, str) or not isinstance(text_id, int):
        return render(request, "subscribers/link_problem.html", {"expired": False}, status=400)
    existing = Vote.objects.filter(subscriber=subscriber, message_key=key).first()
    context: dict[str, Any] = {
        "municipality": subscriber.municipality,
        "existing": existing,
        "chosen": request.GET.get("v", ""),
        "left": not subscriber.is_active,
    }
    if request.method == "POST":
        choice = request.POST.get("helpful", "")
        if choice not in ("yes", "no"):
            context["error"] = "「役に立った」か「いまひとつ」を選んでください。"
            return render(request, "reviews/feedback.html", context, status=400)
        try:
            services.vote(
                subscriber,
                message_key=key,
                stage_message_id=text_id,
                helpful=choice == "yes",
                comment=request.POST.get("comment", ""),
            )
        except services.VoteRefused as error:
            context["error"] = str(error)
            return render(request, "reviews/feedback.html", context, status=409)
        return render(request, "reviews/feedback_thanks.html", context)
    return render(request, "reviews/feedback.html", context)
