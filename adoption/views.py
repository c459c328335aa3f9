"""Staff pages for adopting Kizuna: import readers, export them, the signup flyer, channel moves.

Thin: check the role, call imports/exports/flyer, render. Editors of a municipality import,
export and announce moves; its viewers may print the flyer; nobody sees another's batches.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit.decorators import audited
from kizuna import clock, spreadsheets
from kizuna.choices import Language
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.staff_pages import staff_context, staff_page

from . import exports, flyer, imports, moves, tasks
from .forms import FlyerForm, ImportUploadForm
from .models import ChannelMove, ExportLog, ImportBatch, ImportRow

logger = logging.getLogger(__name__)


def _editable(request: HttpRequest):
    roles = roles_for_request(request)
    municipalities = readable_municipalities(request)
    return municipalities if roles.superuser else municipalities.filter(pk__in=roles.editor_of)


@staff_page
def index(request: HttpRequest) -> HttpResponse:
    municipalities = readable_municipalities(request).order_by("code")
    editable = set(_editable(request).values_list("pk", flat=True))
    batches = ImportBatch.objects.filter(municipality__in=_editable(request)).select_related(
        "municipality", "uploaded_by"
    )
    return render(
        request,
        "adoption/index.html",
        staff_context(
            request,
            "導入・移行",
            rows=[(m, m.pk in editable) for m in municipalities],
            batches=Paginator(batches, 20).get_page(request.GET.get("page")),
            flyer_form=FlyerForm(),
        ),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    municipality = get_object_or_404(_editable(request), pk=municipality_pk)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        with transaction.atomic():
            batch = imports.start(
                municipality,
                raw=upload_file.read(),
                file_name=upload_file.name,
                source_name=form.cleaned_data["source_name"],
                by=request.user,
            )
            transaction.on_commit(lambda: tasks.analyse_import.delay(batch.pk))
        return redirect("adoption:batch", pk=batch.pk)
    return render(
        request,
        "adoption/upload.html",
        staff_context(
            request, f"読者の取り込み（{municipality.name}）", form=form, municipality=municipality
        ),
    )


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.select_related("municipality", "uploaded_by", "confirmed_by"),
        pk=pk,
        municipality__in=_editable(request),
    )


@audited("view", "adoption.importbatch")
@staff_page
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (row by row, what confirming would do), then progress and the outcome."""
    batch = _batch(request, pk)
    shown = request.GET.get("action", "")
    rows = batch.rows.all()
    if shown in ImportRow.Action.values:
        rows = rows.filter(action=shown)
    page = Paginator(
        rows.only(
            "line",
            "action",
            "reasons",
            "contact_hint",
            "relationship",
            "outcome",
            "merge_with_line",
        ),
        100,
    ).get_page(request.GET.get("page"))
    percent = int(100 * batch.rows_done / batch.total_rows) if batch.total_rows else 0
    return render(
        request,
        "adoption/batch.html",
        staff_context(
            request,
            f"読者の取り込み: {batch.file_name}",
            batch=batch,
            page=page,
            shown=shown,
            actions=ImportRow.Action.choices,
            percent=percent,
            Status=ImportBatch.Status,
        ),
    )


@staff_page
@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        with transaction.atomic():
            batch = imports.confirm(batch.pk, by=request.user)
            transaction.on_commit(lambda: tasks.run_import.delay(batch.pk))
    except imports.ImportRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "取り込みを始めました。このページで進み具合を確かめられます。")
    return redirect("adoption:batch", pk=batch.pk)


@staff_page
@require_POST
def batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        imports.discard(batch.pk)
    except imports.ImportRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "この取り込みを取りやめました。読者は登録されていません。")
    return redirect("adoption:batch", pk=batch.pk)


@audited("export", "adoption.readers")
@staff_page
def export(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    """The municipality's readers as CSV (UTF-8 with BOM) or Excel (``?format=xlsx``): editors
    only, and every download recorded with who and when."""
    municipality = get_object_or_404(_editable(request), pk=municipality_pk)
    table = exports.readers_rows(municipality)
    count = len(table) - 1
    ExportLog.objects.create(municipality=municipality, user=request.user, rows=count)
    logger.info(
        "readers of municipality %s exported by user %s: %d rows",
        municipality.pk,
        request.user.pk,
        count,
        extra={"event": "readers_exported"},
    )
    return spreadsheets.table_download(
        table,
        f"kizuna-readers-{municipality.slug}-{clock.today():%Y%m%d}",
        spreadsheets.Format.from_request(request.GET.get("format")),
    )


@staff_page
def flyer_file(request: HttpRequest, municipality_pk: int, kind: str) -> HttpResponse:
    municipality = get_object_or_404(readable_municipalities(request), pk=municipality_pk)
    form = FlyerForm(request.GET)
    if not form.is_valid():
        messages.error(request, "；".join(form.errors["src"]))
        return redirect("adoption:index")
    tag = form.cleaned_data["src"]
    language = request.GET.get("lang") or Language.JA.value
    if language not in Language.values:
        messages.error(request, "チラシの言語の指定が正しくありません。")
        return redirect("adoption:index")
    try:
        if kind == "pdf":
            data, content_type = flyer.flyer_pdf(municipality, tag, language), "application/pdf"
        elif kind == "png":
            data, content_type = flyer.flyer_png(municipality, tag, language=language), "image/png"
        else:
            raise PermissionDenied
    except flyer.FlyerUnavailable as error:
        messages.error(request, str(error))
        return redirect("adoption:index")
    response = HttpResponse(data, content_type=content_type)
    suffix = f"-{tag}" if tag else ""
    response["Content-Disposition"] = f'inline; filename="flyer-{municipality.slug}{suffix}.{kind}"'
    return response


@staff_page
@require_http_methods(["GET", "POST"])
def channel_moves(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    """Announce a move from email to LINE or back, and see how many readers have moved."""
    municipality = get_object_or_404(_editable(request), pk=municipality_pk)
    if request.method == "POST":
        direction = request.POST.get("direction") or ChannelMove.Direction.TO_LINE
        try:
            move = moves.announce(municipality, by=request.user, direction=direction)
        except moves.MoveRefused as error:
            messages.error(request, str(error))
        else:
            where = "メール" if move.direction == ChannelMove.Direction.TO_EMAIL else "LINE"
            messages.success(request, f"{move.invited}人に{where}への切り替えの案内を送ります。")
        return redirect("adoption:moves", municipality_pk=municipality.pk)
    return render(
        request,
        "adoption/moves.html",
        staff_context(
            request,
            f"配信方法の移行（{municipality.name}）",
            municipality=municipality,
            board=moves.dashboard(municipality),
            candidates=moves.email_readers(municipality).count(),
            line_candidates=moves.line_readers(municipality).count(),
            Direction=ChannelMove.Direction,
        ),
    )
