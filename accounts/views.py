"""Enrolment and verification of a staff member's second factor."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from audit import services as audit
from audit.models import AuditEvent
from municipalities.staff_pages import signed_in_user

from . import enrolment, services
from .forms import TokenForm


def _next_url(request: HttpRequest) -> str:
    """Where to go after verification: only a path on this site (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and target.startswith("/"):
        return target
    return f"/{settings.KIZUNA_ADMIN_PATH}"


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    return render(
        request,
        template,
        {
            **admin.site.each_context(request),
            "is_nav_sidebar_enabled": False,
            "next": _next_url(request),
            **context,
        },
    )


@never_cache
@sensitive_post_parameters("token")
@staff_member_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Verify with the enrolled device, or enrol one first."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if services.confirmed_device(signed_in_user(request)) is None:
        if not enrolment.may_enrol(request):
            audit.record(
                AuditEvent.Action.TWO_FACTOR_FAILED, request=request, change="enrolment refused"
            )
            response = _page(
                request, "accounts/enrolment_needs_link.html", title="二要素認証の設定"
            )
            response.status_code = 403
            return response
        return _enrol(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify(signed_in_user(request), form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            if device.persistent_id.startswith("otp_static"):
                audit.record(
                    AuditEvent.Action.TWO_FACTOR, request=request, change="recovery code used"
                )
            return redirect(_next_url(request))
        audit.record(AuditEvent.Action.TWO_FACTOR_FAILED, request=request)
        form.add_error(
            "token",
            "確認コードが正しくありません。時刻のずれがないか確認し、新しいコードで試してください。",
        )
    return _page(request, "accounts/verify.html", form=form, title="二要素認証")


def _enrol(request: HttpRequest) -> HttpResponse:
    device = services.pending_device(signed_in_user(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            codes = services.confirm(device)
            otp_login(request, device)
            audit.record(AuditEvent.Action.TWO_FACTOR, request=request, change="enrolled")
            return _page(request, "accounts/recovery_codes.html", codes=codes, title="回復コード")
        form.add_error(
            "token",
            "確認コードが正しくありません。アプリに表示されている最新の6桁を入力してください。",
        )
    qr = segno.make(device.config_url, error="m")
    return _page(
        request,
        "accounts/enrol.html",
        form=form,
        qr=qr.svg_data_uri(scale=5, border=2),
        secret=_grouped(device.bin_key),
        title="二要素認証の設定",
    )


def _grouped(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@staff_member_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Issue new recovery codes (the old ones stop working); POST only, after verification."""
    if not request.user.is_verified():
        return redirect("accounts:two_factor")
    if request.method != "POST":
        return _page(request, "accounts/recovery_codes.html", codes=None, title="回復コード")
    codes = services.new_recovery_codes(signed_in_user(request))
    audit.record(AuditEvent.Action.TWO_FACTOR, request=request, change="recovery codes renewed")
    return _page(request, "accounts/recovery_codes.html", codes=codes, title="回復コード")


@never_cache
@staff_member_required
def enrol_with_link(request: HttpRequest, token: str) -> HttpResponse:
    """An operator's enrolment link, opened by the staff member it names (signed in with their
    password): this session may now enrol a first authenticator."""
    try:
        enrolment.read_link(token, request.user)
    except enrolment.LinkProblem as problem:
        response = _page(
            request,
            "accounts/enrolment_link_problem.html",
            expired=problem.expired,
            title="二要素認証の設定",
        )
        response.status_code = 410 if problem.expired else 400
        return response
    request.session[enrolment.SESSION_KEY] = request.user.pk
    audit.record(AuditEvent.Action.TWO_FACTOR, request=request, change="enrolment link opened")
    return redirect("accounts:two_factor")
