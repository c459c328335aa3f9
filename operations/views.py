"""The operations dashboard, its controls and /healthz. Thin: parse, ask selectors or services,
render. Operators see and act on everything; a municipality's staff see their own part only.
"""

from __future__ import annotations

import datetime
import json
from functools import wraps

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import services as audit
from audit.decorators import audited
from audit.models import AuditEvent
from delivery.models import Delivery
from followups import services as followup_services
from kizuna import clock, spreadsheets
from line_accounts import plans, relay
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.charts import COLUMN_CHART, Bar, columns
from municipalities.staff_pages import signed_in_user, staff_context, staff_page
from reviews import selectors as review_selectors

from . import heartbeat, selectors, services, system
from .forms import AuditSearchForm, BatchForm, FailureFilterForm, RetryForm
from .models import OperatorAction

RECENT_DAYS = 7
CHART_DAYS = 30
PAGE_SIZE = 50


def can_operate(request: HttpRequest) -> bool:
    roles = roles_for_request(request)
    return roles.superuser or roles.operator


def operator_page(view):
    """Controls and system detail: operators and superusers only."""

    @wraps(view)
    @staff_page
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_operate(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest):
    """(municipality ids in view or None for all, the municipalities the user may choose from,
    the one chosen with ?municipality= or None)."""
    municipalities = readable_municipalities(request).order_by("code")
    chosen = None
    raw = request.GET.get("municipality", "")
    if raw.isdigit():
        chosen = municipalities.filter(pk=int(raw)).first()
    if chosen is not None:
        return frozenset({chosen.pk}), municipalities, chosen
    if can_operate(request):
        return None, municipalities, None
    return frozenset(municipalities.values_list("pk", flat=True)), municipalities, None


def _day_columns(points, attribute: str) -> list:
    bars = [Bar(f"{p.day.month}/{p.day.day}", getattr(p, attribute)) for p in points]
    return columns(bars)


@staff_page
@never_cache
def dashboard(request: HttpRequest) -> HttpResponse:
    ids, municipalities, chosen = _scope(request)
    now = clock.now()
    today = now.astimezone(clock.TOKYO).date()
    recent = [today - datetime.timedelta(days=back) for back in range(RECENT_DAYS)]
    rows = selectors.status_rows(ids, recent)
    today_rows = [row for row in rows if row.day == today]
    page = Paginator(today_rows, PAGE_SIZE).get_page(request.GET.get("page"))
    series = selectors.daily_series(ids, today - datetime.timedelta(days=CHART_DAYS - 1), today)
    rate = selectors.sending_rate(ids, now)
    forecast = selectors.forecast(ids)
    operate = can_operate(request)
    failures_since = today - datetime.timedelta(days=RECENT_DAYS - 1)
    quotas = selectors.line_quotas(ids, today)
    context = {
        "municipalities": municipalities,
        "chosen": chosen,
        "today": today,
        "now": now,
        "operate": operate,
        "statuses": Delivery.Status.choices,
        "day_totals": selectors.day_totals(rows, recent) if rows else [],
        "today_page": page,
        "backlog": selectors.backlog(ids, now),
        "last_tick": selectors.last_tick(),
        "tick_limit": settings.KIZUNA_HEALTH_TICK_MAX_AGE_SECONDS,
        "rate": rate,
        "rate_columns": columns([Bar(f"{m:%H:%M}", c) for m, c in rate.per_minute]),
        "errors": selectors.error_breakdown(ids, failures_since),
        "latest_failures": selectors.recent_failures(ids, failures_since)[:10],
        "failures_since": failures_since,
        "urgent_batches": selectors.urgent_batches(ids, failures_since),
        "series": series,
        "sent_columns": _day_columns(series, "sent"),
        "failed_columns": _day_columns(series, "failed"),
        "forecast": forecast,
        "forecast_columns": columns(
            [Bar(f"{day.month}/{day.day}", email + line) for day, email, line in forecast.by_day]
        ),
        "quotas": quotas,
        "line_relays": relay.statuses(ids),
        "line_plans": plans.PLANS,
        "line_plan_costs": [
            (
                q,
                plans.costs(
                    q.expected_this_month, municipality=q.municipality.kind == "municipality"
                ),
            )
            for q in quotas
        ],
        "missing_stage_texts": review_selectors.missing_stage_texts(ids, today),
        "held_back": review_selectors.held_back_forecast(ids, today + datetime.timedelta(days=1)),
        "gated": municipalities.filter(send_only_reviewed=True).count(),
        # Counts only: names and answers are for the health staff's own queue.
        "followups_overdue": sum(followup_services.overdue_counts(ids, today).values()),
        "chart": COLUMN_CHART,
        "recent_days": RECENT_DAYS,
        "chart_days": CHART_DAYS,
    }
    if operate:
        context |= {
            "queue_depth": system.queue_depth(),
            "flower_url": settings.KIZUNA_FLOWER_URL,
            "paused": municipalities.filter(paused=True),
        }
    return render(
        request, "operations/dashboard.html", staff_context(request, "配信の運用状況", **context)
    )


@operator_page
@never_cache
@xframe_options_sameorigin
def workers(request: HttpRequest) -> HttpResponse:
    """Embedded in the dashboard; refreshes itself every 30 seconds."""
    return render(
        request,
        "operations/workers.html",
        {
            "workers": system.workers(),
            "max_age_seconds": int(heartbeat.max_age().total_seconds()),
        },
    )


@staff_page
@require_GET
def failures(request: HttpRequest) -> HttpResponse:
    ids, municipalities, _chosen = _scope(request)
    today = clock.today()
    form = FailureFilterForm(request.GET or None, municipalities=municipalities)
    rows = selectors.recent_failures(ids, datetime.date.min)
    if form.is_valid():
        data = form.cleaned_data
        if data["municipality"]:
            rows = rows.filter(municipality=data["municipality"])
        if data["channel"]:
            rows = rows.filter(channel=data["channel"])
        if data["error"]:
            rows = rows.filter(last_error=data["error"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operations/failures.html",
        staff_context(
            request,
            "配信の失敗",
            form=form,
            page=page,
            query=query.urlencode(),
            operate=can_operate(request),
            oldest_retryable=services.oldest_day_still_sent(today),
        ),
    )


def _confirm(request: HttpRequest, title: str, **context) -> HttpResponse:
    return render(request, "operations/confirm.html", staff_context(request, title, **context))


def _back_to_dashboard(municipality=None) -> HttpResponse:
    response = redirect("operations:dashboard")
    if municipality is not None:
        response["Location"] += "?" + urlencode({"municipality": municipality.pk})
    return response


@operator_page
@require_POST
def retry(request: HttpRequest) -> HttpResponse:
    form = RetryForm(request.POST, municipalities=readable_municipalities(request))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("operations:failures")
    data = form.cleaned_data
    selection = services.RetrySelection(
        frozenset({data["municipality"].pk}) if data["municipality"] else None,
        ids=tuple(data["ids"]),
        error=data["error"],
    )
    if request.POST.get("confirmed") != "yes":
        return _confirm(
            request,
            "失敗した配信を再試行しますか",
            action="retry",
            form=form,
            retryable=selection.retryable().count(),
            too_old=selection.too_old().count(),
            catch_up_days=settings.KIZUNA_CATCH_UP_DAYS,
        )
    action = services.retry(selection, signed_in_user(request))
    if action is None:
        messages.warning(
            request, "再試行できる失敗はありませんでした（すでに再試行済みか、古すぎます）。"
        )
    else:
        messages.success(request, f"{action.affected}件の配信を再試行の予定に戻しました。")
    return _back_to_dashboard(data["municipality"])


@operator_page
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    form = BatchForm(source, municipalities=readable_municipalities(request))
    if not form.is_valid():
        return _confirm(request, "予定の配信を取り消す", action="invalid", form=form)
    data = form.cleaned_data
    batch = services.Batch(data["municipality"], data["day"], data["channel"], data["message_key"])
    if request.method == "GET":
        return _confirm(
            request,
            "予定の配信を取り消しますか",
            action="cancel",
            form=form,
            batch=batch,
            planned=batch.planned().count(),
        )
    action = services.cancel(batch, signed_in_user(request))
    if action is None:
        messages.warning(
            request, "取り消せる予定の配信はありませんでした（すでに送信済みか送信中です）。"
        )
    else:
        messages.success(request, f"{action.affected}件の予定の配信を取り消しました。")
    return _back_to_dashboard(batch.municipality)


@operator_page
@require_http_methods(["GET", "POST"])
def pause_or_resume(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    municipality = get_object_or_404(readable_municipalities(request), pk=pk)
    if request.method == "GET":
        today = clock.today()
        oldest = services.oldest_day_still_sent(today)
        waiting = Delivery.objects.filter(
            municipality=municipality,
            status__in=[Delivery.Status.PLANNED, Delivery.Status.SENDING],
        )
        return _confirm(
            request,
            f"{municipality.name}の配信を{'一時停止' if kind == 'pause' else '再開'}しますか",
            action=kind,
            municipality=municipality,
            waiting=waiting.count(),
            too_old=waiting.filter(due_on__lt=oldest).count(),
            catch_up_days=settings.KIZUNA_CATCH_UP_DAYS,
        )
    run = services.pause if kind == "pause" else services.resume
    action = run(municipality, signed_in_user(request))
    if action is None:
        state = "一時停止中" if kind == "pause" else "配信中"
        messages.warning(request, f"{municipality.name}はすでに{state}です。")
    elif kind == "pause":
        messages.success(
            request, f"{municipality.name}の配信を一時停止しました。予定の配信は待機します。"
        )
    else:
        messages.success(
            request,
            f"{municipality.name}の配信を再開しました（待機中の配信 {action.affected}件）。",
        )
    return _back_to_dashboard(municipality)


@operator_page
@require_GET
def actions(request: HttpRequest) -> HttpResponse:
    rows = OperatorAction.objects.select_related("municipality")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "operations/actions.html", staff_context(request, "運用操作の記録", page=page)
    )


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For external monitors: 200 when everything answers and keeps up, 503 with reasons."""
    checks = system.health_checks()
    healthy = all(check.ok for check in checks)
    return JsonResponse(
        {
            "status": "ok" if healthy else "unhealthy",
            "failing": [check.name for check in checks if not check.ok],
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
        },
        status=200 if healthy else 503,
    )


@operator_page
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Search the audit trail; the same filters export it as CSV."""
    form = AuditSearchForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all()) if request.GET else AuditEvent.objects.all()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "operations/audit.html",
        staff_context(request, "監査ログ", form=form, page=page, query=query.urlencode()),
    )


@audited("export", "audit.events")
@operator_page
@require_GET
def audit_csv(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all()) if request.GET else AuditEvent.objects.all()
    header = ["日時", "ユーザー名", "操作", "説明", "対象", "対象のID", "IPアドレス", "URL", "内容"]
    rows = (
        [
            event.at.astimezone(clock.TOKYO).strftime("%Y-%m-%d %H:%M:%S"),
            event.username,
            event.get_action_display(),
            event.description,
            event.target,
            event.target_id,
            event.ip or "",
            event.path,
            json.dumps(event.detail, ensure_ascii=False) if event.detail else "",
        ]
        for event in events.iterator(chunk_size=2000)
    )
    return spreadsheets.table_download(
        [header, *rows],
        f"audit-{clock.today():%Y%m%d}",
        spreadsheets.Format.from_request(request.GET.get("format")),
    )


@operator_page
@require_http_methods(["GET", "POST"])
def lockouts(request: HttpRequest) -> HttpResponse:
    """Accounts locked by repeated failed logins; an operator unlocks one after checking."""
    if request.method == "POST":
        attempt = get_object_or_404(AccessAttempt, pk=request.POST.get("attempt", "0") or 0)
        axes_reset(username=attempt.username, ip=attempt.ip_address)
        audit.record(
            AuditEvent.Action.UNLOCK,
            request=request,
            target="auth.user",
            target_id=attempt.username,
            ip_address=attempt.ip_address,
        )
        messages.success(request, f"{attempt.username} のロックを解除しました。")
        return redirect("operations:lockouts")
    attempts = AccessAttempt.objects.order_by("-attempt_time")
    return render(
        request,
        "operations/lockouts.html",
        staff_context(
            request,
            "ログインのロック",
            attempts=attempts,
            limit=settings.AXES_FAILURE_LIMIT,
        ),
    )


@never_cache
@operator_page
@require_http_methods(["GET", "POST"])
def enrolment_links(request: HttpRequest) -> HttpResponse:
    """Staff accounts without an authenticator, past their first day: an operator creates the
    enrolment link (recorded) after checking who is asking, and hands it over."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import enrolment

    waiting = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .exclude(pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id"))
        .order_by("username")
    )
    issued = None
    if request.method == "POST":
        user = get_object_or_404(waiting, pk=request.POST.get("user", "0") or 0)
        issued = (user, enrolment.link(user))
        audit.record(
            AuditEvent.Action.TWO_FACTOR,
            request=request,
            target="auth.user",
            target_id=user.username,
            change="enrolment link created",
        )
    return render(
        request,
        "operations/enrolment_links.html",
        staff_context(
            request,
            "二要素認証の設定用リンク",
            waiting=waiting,
            issued=issued,
            hours=settings.KIZUNA_ENROLMENT_LINK_HOURS,
        ),
    )
