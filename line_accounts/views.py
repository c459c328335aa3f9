"""Staff pages for the LINE account: the Flex Message preview, the chat signup preview and the
per-stage open and click counts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from content.stages import Stage, Track, Unit
from kizuna import clock
from municipalities.access import previewable_municipalities
from municipalities.models import Municipality
from municipalities.staff_pages import staff_context, staff_page

from . import insight, preview, selectors

STAGES = [(f"pregnancy:week:{w}", f"妊娠{w}週") for w in range(4, 42)] + [
    (
        f"child:month:{m}",
        f"生後{m}か月" if m < 12 else f"{m // 12}歳{m % 12}か月".replace("歳0か月", "歳"),
    )
    for m in range(1, 37)
]


class PreviewForm(forms.Form):
    municipality: forms.ModelChoiceField[Municipality] = forms.ModelChoiceField(
        queryset=Municipality.objects.none(), label="自治体", empty_label=None
    )
    stage = forms.ChoiceField(choices=STAGES, label="時期", initial="pregnancy:week:20")

    def __init__(self, *args: Any, municipalities: QuerySet[Municipality], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities  # type: ignore[attr-defined]


@staff_page
def line_preview(request: HttpRequest) -> HttpResponse:
    """How a stage text and the chat signup look in the LINE app, for one municipality."""
    municipalities = previewable_municipalities(request).order_by("code")
    form = PreviewForm(request.GET or None, municipalities=municipalities)
    municipality: Municipality | None = None
    stage: Stage | None = None
    if form.is_bound and form.is_valid():
        municipality = form.cleaned_data["municipality"]
        track, unit, number = form.cleaned_data["stage"].split(":")
        stage = Stage(Track(track), Unit(unit), int(number))
    elif not form.is_bound:
        municipality = municipalities.first()
        stage = Stage(Track.PREGNANCY, Unit.WEEK, 20)
    context: dict[str, object] = {"form": form, "municipality": municipality}
    if municipality is not None and stage is not None:
        shown = preview.stage_preview(municipality, stage, clock.today())
        account = selectors.of(municipality)
        insight_days, insight_rows = insight.table(municipality, clock.today())
        context.update(
            stage=shown,
            stage_html=preview.message_html(shown.message) if shown else "",
            flex_on=account.flex_messages and not account.push_only,
            push_only=account.push_only,
            chat_html=preview.transcript_html(preview.signup_transcript(municipality)),
            stage_statistics=account.stage_statistics,
            insight_days=insight_days,
            insight_rows=insight_rows,
        )
    return render(
        request, "line_accounts/preview.html", staff_context(request, "LINEの見え方", **context)
    )
