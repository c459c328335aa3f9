"""Staff pages for urgent notices: write, preview with recipient counts, approve, follow."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from content.validators import LINE_TEXT_LIMIT
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.staff_pages import signed_in_user, staff_context, staff_page
from subscribers.links import absolute

from . import selectors, services
from .forms import UrgentNoticeForm
from .models import UrgentNotice
from .rendering import render_notice

SAMPLE_NICKNAME = "はな"


def _editable_municipalities(request: HttpRequest):
    roles = roles_for_request(request)
    municipalities = readable_municipalities(request)
    return municipalities if roles.superuser else municipalities.filter(pk__in=roles.editor_of)


def _notice(request: HttpRequest, pk: int) -> UrgentNotice:
    return get_object_or_404(
        UrgentNotice.objects.select_related("municipality", "created_by", "approved_by"),
        pk=pk,
        municipality__in=readable_municipalities(request),
    )


@staff_page
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = UrgentNotice.objects.for_municipalities(
        readable_municipalities(request)
    ).select_related("municipality", "created_by")
    page = Paginator(notices, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "urgent_notices/list.html",
        staff_context(
            request,
            "緊急のお知らせ",
            page=page,
            editable=_editable_municipalities(request).order_by("code"),
            approval_required=services.approval_required(),
        ),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, municipality_pk: int) -> HttpResponse:
    municipality = get_object_or_404(_editable_municipalities(request), pk=municipality_pk)
    form = UrgentNoticeForm(request.POST or None, municipality=municipality, author=request.user)
    if request.method == "POST" and form.is_valid():
        notice = form.save()
        messages.success(request, "下書きを保存しました。内容と送信先の数を確かめてください。")
        return redirect("urgent_notices:detail", pk=notice.pk)
    return render(
        request,
        "urgent_notices/form.html",
        staff_context(
            request, f"緊急のお知らせを作成（{municipality.name}）", form=form, notice=None
        ),
    )


@staff_page
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(request, pk)
    if not services.can_edit(request.user, notice):
        raise PermissionDenied
    if notice.status != UrgentNotice.Status.DRAFT:
        messages.error(request, "下書きのお知らせだけを編集できます。")
        return redirect("urgent_notices:detail", pk=notice.pk)
    form = UrgentNoticeForm(
        request.POST or None,
        instance=notice,
        municipality=notice.municipality,
        author=request.user,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "下書きを保存しました。")
        return redirect("urgent_notices:detail", pk=notice.pk)
    return render(
        request,
        "urgent_notices/form.html",
        staff_context(request, f"緊急のお知らせを編集: {notice.title}", form=form, notice=notice),
    )


@staff_page
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice as readers will see it per channel, who gets it, and how sending goes."""
    notice = _notice(request, pk)
    municipality = notice.municipality
    rendered = render_notice(
        notice,
        municipality=municipality,
        nickname=SAMPLE_NICKNAME,
        manage_url=absolute("/manage/（読者ごとのリンク）/"),
        unsubscribe_url=absolute("/u/（読者ごとのリンク）/"),
        contacts=list(municipality.contacts.all()),
    )
    sending = notice.status == UrgentNotice.Status.SENT or notice.queued_on is not None
    counts = {} if sending else selectors.recipient_counts(notice)
    progress = selectors.progress(notice) if sending else {}
    editor = services.can_edit(request.user, notice)
    return render(
        request,
        "urgent_notices/detail.html",
        staff_context(
            request,
            f"緊急のお知らせ: {notice.title}",
            notice=notice,
            rendered=rendered,
            line_limit=LINE_TEXT_LIMIT,
            counts=[("メール", counts.get("email", 0)), ("LINE", counts.get("line", 0))],
            total=sum(counts.values()),
            progress=[
                ("メール" if channel == "email" else "LINE", statuses)
                for channel, statuses in sorted(progress.items())
            ],
            can_edit=editor,
            can_approve=services.can_approve(request.user, notice)
            or (editor and not services.approval_required()),
            approval_required=services.approval_required(),
            Status=UrgentNotice.Status,
        ),
    )


ACTIONS = {
    "submit": (services.submit, "承認を依頼しました。ほかの編集者が承認すると送信されます。"),
    "approve": (services.approve, "承認しました。"),
    "return": (services.return_to_draft, "下書きに戻しました。"),
    "cancel": (services.cancel, "取り消しました。"),
}


@staff_page
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    notice = _notice(request, pk)
    if action not in ACTIONS:
        raise PermissionDenied
    step, done = ACTIONS[action]
    try:
        notice = step(notice.pk, by=signed_in_user(request))
    except services.NoticeError as error:
        messages.error(request, str(error))
    else:
        if notice.status == UrgentNotice.Status.SENT:
            done = f"送信を始めました（{notice.recipients}人）。"
        elif notice.status == UrgentNotice.Status.SCHEDULED and action != "cancel":
            done = f"承認されました。{notice.send_at:%Y年%-m月%-d日 %H:%M}に送信します。"
        messages.success(request, done)
    return redirect("urgent_notices:detail", pk=notice.pk)
