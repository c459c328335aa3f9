"""Staff pages of reports: the yearly report (page, PDF, Excel), births, procurement papers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.decorators import audited
from kizuna import clock, spreadsheets
from kizuna.fiscal import FIRST_FISCAL_YEAR, fiscal_year_label, fiscal_year_of
from municipalities.models import Municipality
from municipalities.staff_pages import signed_in_user, staff_context, staff_page

from . import exports, papers, pdf, services
from .access import can_enter_births, report_municipalities, report_municipality
from .forms import BirthsFileForm, BirthsForm
from .models import BirthCount
from .yearly import SMALL_COUNT_NOTE, Report, yearly_report

YEARS_LISTED = 6


def _year(fiscal_year: int) -> int:
    if not FIRST_FISCAL_YEAR <= fiscal_year <= fiscal_year_of(clock.today()):
        raise Http404
    return fiscal_year


def _report(municipality: Municipality, fiscal_year: int) -> Report:
    return yearly_report(municipality, _year(fiscal_year), today=clock.today())


@staff_page
def index(request: HttpRequest) -> HttpResponse:
    municipalities = list(report_municipalities(request).order_by("code", "pk"))
    if len(municipalities) == 1:
        return redirect("reports:municipality", pk=municipalities[0].pk)
    return render(
        request,
        "reports/index.html",
        staff_context(
            request,
            "事業報告と調達書類",
            municipalities=municipalities,
            this_year=fiscal_year_of(clock.today()),
        ),
    )


@staff_page
def municipality(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect("reports:year", pk=pk, fiscal_year=fiscal_year_of(clock.today()))


@audited("view", "reports.yearly")
@staff_page
def year(request: HttpRequest, pk: int, fiscal_year: int) -> HttpResponse:
    place = report_municipality(request, pk)
    report = _report(place, fiscal_year)
    this_year = fiscal_year_of(clock.today())
    years = [
        (y, fiscal_year_label(y))
        for y in range(this_year, max(this_year - YEARS_LISTED, FIRST_FISCAL_YEAR - 1), -1)
    ]
    births = BirthCount.objects.filter(municipality=place).order_by("-fiscal_year")[:YEARS_LISTED]
    editable = can_enter_births(request, place)
    initial = next((b.births for b in births if b.fiscal_year == fiscal_year), None)
    return render(
        request,
        "reports/year.html",
        staff_context(
            request,
            report.title,
            municipality=place,
            report=report,
            years=years,
            in_progress=fiscal_year == this_year,
            today=clock.today(),
            births=births,
            can_edit=editable,
            births_form=BirthsForm(initial={"births": initial}) if editable else None,
            file_form=BirthsFileForm() if editable else None,
            small_count_note=SMALL_COUNT_NOTE,
            several=report_municipalities(request).count() > 1,
        ),
    )


@audited("export", "reports.yearly_pdf")
@staff_page
def year_pdf(request: HttpRequest, pk: int, fiscal_year: int) -> HttpResponse:
    report = _report(report_municipality(request, pk), fiscal_year)
    try:
        body = pdf.report_pdf(report)
    except pdf.FontMissing as missing:
        messages.error(request, str(missing))
        return redirect("reports:year", pk=pk, fiscal_year=fiscal_year)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}.pdf"'
    return response


@audited("export", "reports.yearly_xlsx")
@staff_page
def year_xlsx(request: HttpRequest, pk: int, fiscal_year: int) -> HttpResponse:
    report = _report(report_municipality(request, pk), fiscal_year)
    return spreadsheets.table_download(
        exports.report_rows(report), report.filename, spreadsheets.Format.XLSX
    )


def _editable(request: HttpRequest, pk: int) -> Municipality:
    place = report_municipality(request, pk)
    if not can_enter_births(request, place):
        raise Http404
    return place


@require_POST
@staff_page
def save_births(request: HttpRequest, pk: int, fiscal_year: int) -> HttpResponse:
    place = _editable(request, pk)
    _year(fiscal_year)
    form = BirthsForm(request.POST)
    if form.is_valid():
        services.save_births(
            place, fiscal_year, form.cleaned_data["births"], by=signed_in_user(request)
        )
        messages.success(
            request,
            f"{fiscal_year_label(fiscal_year)}の出生数を{form.cleaned_data['births']:,}人にしました。",
        )
    else:
        for error in form.errors.get("births", []):
            messages.error(request, str(error))
    return redirect("reports:year", pk=pk, fiscal_year=fiscal_year)


@require_POST
@staff_page
def import_births(request: HttpRequest, pk: int) -> HttpResponse:
    place = _editable(request, pk)
    back = request.POST.get("fiscal_year", "")
    target = (
        reverse("reports:year", args=[pk, int(back)])
        if back.isdigit()
        else reverse("reports:municipality", args=[pk])
    )
    form = BirthsFileForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, str(error))
        return redirect(target)
    upload = form.cleaned_data["file"]
    if upload.size > services.MAX_BYTES:
        messages.error(request, "ファイルが大きすぎます（1MBまで）。")
        return redirect(target)
    result = services.import_births(place, upload.read(), by=signed_in_user(request))
    if result.errors:
        shown = result.errors[:20]
        more = len(result.errors) - len(shown)
        messages.error(
            request,
            "取り込めませんでした（何も変更していません）。"
            + " ".join(shown)
            + (f" ほか{more}件。" if more else ""),
        )
    else:
        done = "、".join(
            f"{fiscal_year_label(y)} {n:,}人"
            + ("" if result.months[y] == 12 else f"（{result.months[y]}か月分）")
            for y, n in result.years.items()
        )
        messages.success(request, f"出生数を取り込みました: {done}。")
    return redirect(target)


def _paper_sections(place: Municipality) -> list[tuple[str, str, papers.Table]]:
    return [
        ("個人情報ファイル簿（案）", "", papers.ledger_table(place)),
        ("記録項目", "", papers.items_table()),
        ("セキュリティ対策の一覧", "", papers.controls_table()),
    ]


@audited("view", "reports.papers")
@staff_page
def procurement(request: HttpRequest, pk: int) -> HttpResponse:
    place = report_municipality(request, pk)
    return render(
        request,
        "reports/papers.html",
        staff_context(
            request,
            f"{place.name} 調達書類",
            municipality=place,
            sections=_paper_sections(place),
            today=clock.today(),
        ),
    )


@audited("export", "reports.papers_pdf")
@staff_page
def procurement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    place = report_municipality(request, pk)
    try:
        body = pdf.papers_pdf(
            f"{place.name} 調達書類（{clock.today():%Y年%m月%d日}時点）",
            place.sender_name,
            _paper_sections(place),
        )
    except pdf.FontMissing as missing:
        messages.error(request, str(missing))
        return redirect("reports:papers", pk=pk)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="chotatsu-{place.slug}.pdf"'
    return response
