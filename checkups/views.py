"""Staff pages for group health checks (sessions, import, settings) and the parents' .ics link.

Changes (a POST answered with a redirect) and the export are in the audit trail through
audit.middleware; the sessions hold no personal data, only counts.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit.decorators import audited
from kizuna import clock, spreadsheets
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.models import Municipality
from municipalities.staff_pages import signed_in_user, staff_context, staff_page
from subscribers.models import Subscription

from . import imports, selectors, services
from .forms import ImportForm, SessionForm, SettingsForm
from .links import read_calendar_token
from .messages import calendar_file
from .models import CheckupSettings, Session
from .timings import BY_NUMBER

PER_PAGE = 20
_IMPORT_SALT = "kizuna.checkup-import"


def _editable(request: HttpRequest, municipality_id: int) -> bool:
    roles = roles_for_request(request)
    return roles.superuser or municipality_id in roles.editor_of


def _municipality(request: HttpRequest, pk: int, *, edit: bool) -> Municipality:
    municipality = get_object_or_404(readable_municipalities(request), pk=pk)
    if edit and not _editable(request, municipality.pk):
        raise PermissionDenied
    return municipality


def _session(request: HttpRequest, pk: int, *, edit: bool) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("municipality"),
        pk=pk,
        municipality__in=readable_municipalities(request),
    )
    if edit and not _editable(request, session.municipality_id):
        raise PermissionDenied
    return session


def _data(form: SessionForm) -> services.SessionData:
    c = form.cleaned_data
    return services.SessionData(
        c["check_number"],
        c["held_on"],
        c["starts_at"],
        c["venue"],
        c["born_from"],
        c["born_until"],
        c["capacity"],
    )


def _rows(sessions: list[Session]) -> list[dict[str, Any]]:
    counts = selectors.invitation_counts(sessions)
    rows = []
    for session in sessions:
        count = counts.get(session.pk, selectors.SessionCounts(0, 0, 0))
        flags = selectors.flags_of(session)
        rows.append(
            {
                "session": session,
                "label": BY_NUMBER[session.check_number].label,
                "invited": selectors.shown(count.invited),
                "sent": selectors.shown(count.sent),
                "failed": selectors.shown(count.failed),
                "eligible": selectors.shown(flags.invited),
                "flags": flags.reasons(),
                "held": flags.any and session.confirmed_at is None,
                "editable": _editable_session(session),
            }
        )
    return rows


def _editable_session(session: Session) -> bool:
    return session.status == Session.Status.SCHEDULED and session.held_on >= clock.today()


@staff_page
def session_list(request: HttpRequest) -> HttpResponse:
    municipalities = readable_municipalities(request).order_by("code")
    sessions = Session.objects.for_municipalities(municipalities.values("pk")).select_related(
        "municipality"
    )
    chosen = request.GET.get("municipality", "")
    if chosen.isdigit():
        sessions = sessions.filter(municipality_id=int(chosen))
    if request.GET.get("past") != "1":
        sessions = sessions.filter(held_on__gte=clock.today())
    page = Paginator(sessions, PER_PAGE).get_page(request.GET.get("page"))
    roles = roles_for_request(request)
    editable = [m for m in municipalities if roles.superuser or m.pk in roles.editor_of]
    return render(
        request,
        "checkups/sessions.html",
        staff_context(
            request,
            "乳幼児健診（集団健診）",
            page=page,
            rows=_rows(list(page.object_list)),
            municipalities=municipalities,
            chosen=chosen,
            past=request.GET.get("past") == "1",
            editable=editable,
        ),
    )


@staff_page
@audited("export", "checkups.sessions")
def sessions_csv(request: HttpRequest) -> HttpResponse:
    sessions = list(
        Session.objects.for_municipalities(readable_municipalities(request).values("pk"))
        .select_related("municipality")
        .order_by("held_on", "pk")
    )
    header = [
        "自治体", "健診", "日付", "開始時刻", "会場", "対象の生年月日（から）",
        "対象の生年月日（まで）", "定員", "状態", "対象", "案内済み", "送信済み", "失敗",
    ]  # fmt: skip
    table: list[list[Any]] = [header]
    counts = selectors.invitation_counts(sessions)
    for s in sessions:
        count = counts.get(s.pk, selectors.SessionCounts(0, 0, 0))
        table.append(
            [
                s.municipality.name,
                BY_NUMBER[s.check_number].label,
                s.held_on.isoformat(),
                s.starts_at.strftime("%H:%M"),
                s.venue,
                s.born_from.isoformat(),
                s.born_until.isoformat(),
                s.capacity,
                s.get_status_display(),
                selectors.shown(selectors.invited_children(s).count()),
                selectors.shown(count.invited),
                selectors.shown(count.sent),
                selectors.shown(count.failed),
            ]
        )
    return spreadsheets.table_download(
        table, "kenshin-sessions", spreadsheets.Format.from_request(request.GET.get("format"))
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    municipality = _municipality(request, municipality_pk, edit=True)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.create_session(
            municipality_id=municipality.pk, data=_data(form), by=signed_in_user(request)
        )
        messages.success(request, "集団健診を登録しました。")
        return redirect("checkups:sessions")
    return render(
        request,
        "checkups/session_form.html",
        staff_context(request, f"{municipality.name}の集団健診を登録", form=form),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk, edit=True)
    if not _editable_session(session):
        messages.error(request, "中止した健診や終わった健診は変更できません。")
        return redirect("checkups:sessions")
    form = SessionForm(request.POST or None, instance=Session.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        change = services.update_session(
            session=session, data=_data(form), by=signed_in_user(request)
        )
        messages.success(
            request,
            "変更を保存しました。案内済みの方に変更のお知らせを送ります。"
            if change
            else "保存しました。",
        )
        return redirect("checkups:sessions")
    return render(
        request,
        "checkups/session_form.html",
        staff_context(request, "集団健診を変更", form=form, session=session),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A page that says who will be told, then the cancellation itself."""
    session = _session(request, pk, edit=True)
    if request.method == "GET":
        return render(
            request,
            "checkups/cancel.html",
            staff_context(
                request,
                "集団健診を中止",
                session=session,
                label=BY_NUMBER[session.check_number].label,
                invited=selectors.shown(selectors.invitation_counts([session])[session.pk].sent),
            ),
        )
    if services.cancel_session(session=session, by=signed_in_user(request)):
        messages.success(request, "中止にしました。案内済みの方に中止のお知らせを送ります。")
    return redirect("checkups:sessions")


@staff_page
@require_POST
def session_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk, edit=True)
    services.confirm_session(session=session, by=signed_in_user(request))
    messages.success(request, "確認しました。案内の日になると送られます。")
    return redirect("checkups:sessions")


@staff_page
@require_http_methods(["GET", "POST"])
def session_import(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    municipality = _municipality(request, municipality_pk, edit=True)
    form = ImportForm()
    context: dict[str, Any] = {"municipality": municipality, "headers": imports.HEADERS}
    if request.method == "POST" and "payload" in request.POST:
        try:
            payload = signing.loads(request.POST["payload"], salt=_IMPORT_SALT, max_age=3600)
            rows = imports.from_payload(payload["rows"])
            if payload["m"] != municipality.pk:
                raise signing.BadSignature
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            messages.error(request, "確認の期限が切れました。もう一度ファイルを選んでください。")
            return redirect("checkups:import", municipality.pk)
        services.create_sessions(
            municipality_id=municipality.pk, rows=rows, by=signed_in_user(request)
        )
        messages.success(request, f"{len(rows)}件の集団健診を取り込みました。")
        return redirect("checkups:sessions")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            parsed = imports.parse(upload.read(), upload.name)
            context["errors"] = parsed.errors
            if not parsed.errors:
                context["preview"] = [
                    {"label": BY_NUMBER[r.check_number].label, "row": r} for r in parsed.rows
                ]
                context["payload"] = signing.dumps(
                    {"m": municipality.pk, "rows": imports.to_payload(parsed.rows)},
                    salt=_IMPORT_SALT,
                )
    context["form"] = form
    return render(
        request,
        "checkups/import.html",
        staff_context(request, f"{municipality.name}の集団健診を取り込む", **context),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    municipality = _municipality(request, municipality_pk, edit=True)
    form = SettingsForm(request.POST or None, instance=CheckupSettings.of(municipality))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "設定を保存しました。")
        return redirect("checkups:sessions")
    return render(
        request,
        "checkups/settings.html",
        staff_context(request, f"{municipality.name}の乳幼児健診の設定", form=form),
    )


def calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in a LINE invitation: the session's .ics for that reader's child."""
    payload = read_calendar_token(token)
    if payload is None:
        raise Http404
    try:
        session_id, subscriber_id, child_id = (int(payload[k]) for k in "vsc")
    except (TypeError, KeyError, ValueError):
        raise Http404 from None
    session = Session.objects.select_related("municipality").filter(pk=session_id).first()
    if session is None:
        raise Http404
    followed = Subscription.objects.filter(
        subscriber_id=subscriber_id,
        child_id=child_id,
        child__municipality_id=session.municipality_id,
        subscriber__unsubscribed_at__isnull=True,
    ).exclude(child__status="lost")
    if not followed.exists():
        raise Http404
    response = HttpResponse(
        calendar_file(session, child_id), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="kenshin.ics"'
    return response
