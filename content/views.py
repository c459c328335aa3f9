"""Staff pages about content: the timeline preview and the coverage report. Thin: parse, call a
selector or the timeline, render.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from kizuna import clock
from municipalities.access import (
    previewable_municipalities,
    readable_municipalities,
    roles_for_request,
)
from municipalities.staff_pages import staff_context, staff_page

from .forms import PreviewForm
from .programme import PROMISED_STAGES
from .selectors import (
    EXPIRY_WARNING_DAYS,
    municipality_coverage,
    special_coverage,
    stage_coverage,
)
from .timeline import build_timeline
from .validators import LINE_TEXT_LIMIT


@staff_page
def index(request: HttpRequest) -> HttpResponse:
    """Staff tools, and the municipalities the user works for."""
    return render(
        request,
        "staff/index.html",
        staff_context(
            request,
            "スタッフ用ページ",
            municipalities=readable_municipalities(request).order_by("code"),
            expiry_days=EXPIRY_WARNING_DAYS,
        ),
    )


@staff_page
def preview(request: HttpRequest) -> HttpResponse:
    """Every message one family would receive, from signup to graduation, as they will see it."""
    municipalities = previewable_municipalities(request).order_by("code")
    submitted = "due_date" in request.GET or "birth_date" in request.GET
    form = PreviewForm(
        request.GET if submitted else None,
        municipalities=municipalities,
        initial={"municipality": request.GET.get("municipality")},
    )
    timeline = None
    opened: list[str] = []
    if submitted and form.is_valid():
        data = form.cleaned_data
        timeline = build_timeline(
            data["municipality"],
            due_date=data["due_date"],
            birth_date=data["birth_date"],
            signup_on=data["signup_on"],
            audience=data["audience"],
            language=data["language"],
            nickname=data["nickname"],
            include_drafts=data["drafts"],
        )
        # Coming from a notice's admin page: open the messages that carry it.
        opened = [
            entry.key
            for entry in timeline.entries
            if any(notice.pk == data["notice"] for notice in entry.notices)
        ]
    return render(
        request,
        "staff/preview.html",
        staff_context(
            request,
            "配信プレビュー",
            form=form,
            timeline=timeline,
            opened_keys=opened,
            first_opened=opened[0] if opened else None,
            line_limit=LINE_TEXT_LIMIT,
        ),
    )


@staff_page
def coverage(request: HttpRequest) -> HttpResponse:
    """Stages without a message, per language and audience; notices about to expire."""
    roles = roles_for_request(request)
    can_add = roles.superuser or roles.content_editor
    rows = []
    for row in stage_coverage():
        gaps = [
            {
                "gap": gap,
                "add_url": reverse("admin:content_stagemessage_add")
                + "?"
                + urlencode(
                    {
                        "track": gap.stage.track.value,
                        "unit": gap.stage.unit.value,
                        "number": gap.stage.number,
                        "audience": row.audience,
                        "language": row.language,
                    }
                )
                if can_add
                else "",
            }
            for gap in row.gaps
        ]
        rows.append({"row": row, "gaps": gaps})
    today = clock.today()
    return render(
        request,
        "staff/coverage.html",
        staff_context(
            request,
            "コンテンツの抜け・期限切れ間近のお知らせ",
            rows=rows,
            promised_total=sum(len(stages) for stages in PROMISED_STAGES.values()),
            specials=special_coverage(),
            municipalities=municipality_coverage(
                readable_municipalities(request).order_by("code"), today=today
            ),
            expiry_days=EXPIRY_WARNING_DAYS,
            today=today,
        ),
    )
