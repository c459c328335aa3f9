"""Parent pages: thin views over subscribers.services, reached by signed links only."""

from __future__ import annotations

import functools
import json
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kizuna import clock
from kizuna.ratelimit import allow, client_ip
from municipalities.models import Municipality

from . import emails, links, selectors, services
from .forms import (
    AddChildForm,
    BirthReportForm,
    InvitationForm,
    LineSignupForm,
    LossReportForm,
    ManageLinkRequestForm,
    SettingsForm,
    SignupForm,
    UnsubscribeForm,
)
from .models import Child, Subscriber
from .tokens import Purpose, TokenError, read_token

SIGNUPS_PER_IP_PER_HOUR = 20
SIGNUPS_PER_ADDRESS_PER_HOUR = 3


def _municipality(slug: str) -> Municipality:
    return get_object_or_404(Municipality, slug=slug)


def _privacy_url(municipality: Municipality) -> str:
    return reverse("subscribers:privacy", args=[municipality.slug])


def _link_problem(request: HttpRequest, *, expired: bool, municipality=None) -> HttpResponse:
    return render(
        request,
        "subscribers/link_problem.html",
        {"expired": expired, "municipality": municipality},
        status=410 if expired else 400,
    )


def _too_many(request: HttpRequest, municipality: Municipality) -> HttpResponse:
    return render(request, "subscribers/too_many.html", {"municipality": municipality}, status=429)


def with_token(purpose: Purpose):
    """Resolve a signed link to its subscriber; a bad, expired or erased link gets a clear page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
            try:
                payload = read_token(purpose, token)
            except TokenError as error:
                return _link_problem(request, expired=error.expired)
            subscriber = (
                Subscriber.objects.select_related("municipality")
                .filter(pk=payload.get("s"), erased_at__isnull=True)
                .first()
            )
            if subscriber is None:
                return _link_problem(request, expired=False)
            return view(request, token, subscriber, payload, *args, **kwargs)

        return wrapper

    return decorator


_SIGNUP_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


def signup_tag(request: HttpRequest) -> str:
    """The flyer's ``?src=`` (kept in the URL the form posts back to); anything else is none."""
    value = request.GET.get("src", "").strip().lower()
    return value if _SIGNUP_TAG.match(value) else ""


@require_http_methods(["GET", "POST"])
def landing(request: HttpRequest, slug: str) -> HttpResponse:
    """The municipality's page: what parents receive, and the signup form."""
    municipality = _municipality(slug)
    form = SignupForm(
        request.POST or None, municipality=municipality, privacy_url=_privacy_url(municipality)
    )
    if request.method == "POST" and form.is_valid():
        email = services.normalize_email(form.cleaned_data["email"])
        if not (
            allow(
                "signup-ip", client_ip(request), limit=SIGNUPS_PER_IP_PER_HOUR, window_seconds=3600
            )
            and allow(
                "signup-email",
                f"{municipality.pk}:{email}",
                limit=SIGNUPS_PER_ADDRESS_PER_HOUR,
                window_seconds=3600,
            )
        ):
            return _too_many(request, municipality)
        services.sign_up(
            municipality,
            services.Registration.from_form(
                form.cleaned_data, email=email, signup_tag=signup_tag(request)
            ),
        )
        return redirect("subscribers:sent", slug=municipality.slug)
    return render(
        request,
        "subscribers/landing.html",
        {"municipality": municipality, "form": form},
    )


@require_http_methods(["GET", "POST"])
def line_signup(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The page a LINE follower opens from our reply: the same form, without an address."""
    municipality = _municipality(slug)
    try:
        payload = read_token(Purpose.LINE_SIGNUP, token)
    except TokenError as error:
        return _link_problem(request, expired=error.expired, municipality=municipality)
    if payload.get("m") != municipality.pk or not payload.get("u"):
        return _link_problem(request, expired=False, municipality=municipality)
    form = LineSignupForm(
        request.POST or None, municipality=municipality, privacy_url=_privacy_url(municipality)
    )
    if request.method == "POST" and form.is_valid():
        subscriber = services.sign_up_with_line(
            municipality,
            payload["u"],
            services.Registration.from_form(form.cleaned_data),
        )
        messages.success(
            request, _("LINEでの登録が完了しました。次のメッセージからLINEでお届けします。")
        )
        return redirect("subscribers:manage", token=links.manage_token(subscriber))
    return render(
        request,
        "subscribers/line_signup.html",
        {"municipality": municipality, "form": form},
    )


def sent(request: HttpRequest, slug: str) -> HttpResponse:
    """The same answer whether or not the address was known: no one can probe for readers."""
    return render(request, "subscribers/sent.html", {"municipality": _municipality(slug)})


def privacy(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "subscribers/privacy.html", {"municipality": _municipality(slug)})


@require_http_methods(["GET", "POST"])
def request_manage_link(request: HttpRequest, slug: str) -> HttpResponse:
    municipality = _municipality(slug)
    form = ManageLinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = services.normalize_email(form.cleaned_data["email"])
        if not allow("manage-link", client_ip(request), limit=10, window_seconds=3600):
            return _too_many(request, municipality)
        subscriber = Subscriber.objects.filter(
            municipality=municipality, email__iexact=email, erased_at__isnull=True
        ).first()
        if subscriber is not None and subscriber.confirmed_at is not None:
            emails.queue(emails.Kind.MANAGE_LINK, subscriber)
        return redirect("subscribers:sent", slug=municipality.slug)
    return render(
        request,
        "subscribers/request_manage_link.html",
        {"municipality": municipality, "form": form},
    )


@require_http_methods(["GET", "POST"])
@with_token(Purpose.CONFIRM)
def confirm(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict
) -> HttpResponse:
    """GET shows a button, so that mail scanners opening the link confirm nothing."""
    child = Child.objects.filter(pk=payload.get("c"), municipality=subscriber.municipality).first()
    if child is None:
        return _link_problem(request, expired=False, municipality=subscriber.municipality)
    if request.method == "POST":
        try:
            services.confirm(subscriber.pk, child.pk)
        except services.ServiceError as error:
            messages.error(request, str(error))
            return redirect("subscribers:landing", slug=subscriber.municipality.slug)
        messages.success(request, _("登録が完了しました。次のメッセージからお届けします。"))
        return redirect("subscribers:manage", token=links.manage_token(subscriber))
    return render(
        request,
        "subscribers/confirm.html",
        {"municipality": subscriber.municipality, "subscriber": subscriber, "child": child},
    )


@with_token(Purpose.MANAGE)
def manage(request: HttpRequest, token: str, subscriber: Subscriber, payload: dict) -> HttpResponse:
    municipality = subscriber.municipality
    return render(
        request,
        "subscribers/manage.html",
        {
            "municipality": municipality,
            "subscriber": subscriber,
            "token": token,
            "families": selectors.family_summaries(subscriber, clock.today()),
            "settings_form": SettingsForm(
                initial={
                    "nickname": subscriber.nickname,
                    "language": subscriber.language,
                    "channel": subscriber.channel,
                }
            ),
            "birth_form": BirthReportForm(),
            "add_child_form": AddChildForm(municipality=municipality),
            "contacts": municipality.contacts.all(),
            "invite_url": request.session.pop("invite_url", None),
        },
    )


def _back_to_manage(token: str) -> HttpResponse:
    return redirect("subscribers:manage", token=token)


def _followed_child(subscriber: Subscriber, child_id: int) -> Child | None:
    return Child.objects.filter(
        pk=child_id, subscriptions__subscriber=subscriber, subscriptions__ended_at__isnull=True
    ).first()


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_POST
@with_token(Purpose.MANAGE)
def report_birth(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict, child_id: int
) -> HttpResponse:
    child = _followed_child(subscriber, child_id)
    form = BirthReportForm(request.POST)
    if child is None:
        messages.error(request, _("このお子さまの情報は見つかりませんでした。"))
    elif not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.report_birth(child.pk, form.cleaned_data["birth_date"])
        except services.ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _(
                    "ご出産おめでとうございます。明日から赤ちゃんの月齢に合わせたメッセージをお届けします。"
                ),
            )
    return _back_to_manage(token)


@require_POST
@with_token(Purpose.MANAGE)
def add_child(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict
) -> HttpResponse:
    form = AddChildForm(request.POST, municipality=subscriber.municipality)
    if form.is_valid():
        services.add_child(
            subscriber,
            due_date=form.cleaned_data["due_date"],
            birth_date=form.cleaned_data["birth_date"],
        )
        messages.success(request, _("お子さまを追加しました。"))
    else:
        _form_errors(request, form)
    return _back_to_manage(token)


@require_POST
@with_token(Purpose.MANAGE)
def update_settings(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict
) -> HttpResponse:
    form = SettingsForm(request.POST)
    if form.is_valid():
        try:
            services.update_settings(subscriber, **form.cleaned_data)
        except services.ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("設定を保存しました。"))
    else:
        _form_errors(request, form)
    return _back_to_manage(token)


@require_POST
@with_token(Purpose.MANAGE)
def create_invitation(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict, child_id: int
) -> HttpResponse:
    child = _followed_child(subscriber, child_id)
    if child is None or child.status not in (Child.Status.EXPECTING, Child.Status.BORN):
        messages.error(request, _("このお子さまには招待リンクを作れません。"))
    else:
        request.session["invite_url"] = links.invite_url(subscriber, child)
    return _back_to_manage(token)


@require_http_methods(["GET", "POST"])
@with_token(Purpose.MANAGE)
def report_loss(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict, child_id: int
) -> HttpResponse:
    child = _followed_child(subscriber, child_id)
    if child is None:
        messages.error(request, _("このお子さまの情報は見つかりませんでした。"))
        return _back_to_manage(token)
    form = LossReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.report_loss(child.pk, form.cleaned_data["loss"])
        return render(
            request,
            "subscribers/loss_done.html",
            {
                "municipality": subscriber.municipality,
                "contacts": subscriber.municipality.contacts.all(),
                "token": token,
            },
        )
    return render(
        request,
        "subscribers/loss.html",
        {"municipality": subscriber.municipality, "form": form, "token": token, "child": child},
    )


@require_http_methods(["GET", "POST"])
@with_token(Purpose.MANAGE)
def leave(request: HttpRequest, token: str, subscriber: Subscriber, payload: dict) -> HttpResponse:
    """Unsubscribe from the manage page, with an optional reason."""
    form = UnsubscribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.unsubscribe(subscriber.pk, form.reason_text())
        return render(
            request, "subscribers/unsubscribed.html", {"municipality": subscriber.municipality}
        )
    return render(
        request,
        "subscribers/leave.html",
        {"municipality": subscriber.municipality, "form": form, "token": token},
    )


@with_token(Purpose.MANAGE)
def download_data(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict
) -> HttpResponse:
    body = json.dumps(services.export_personal_data(subscriber), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kizuna-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@with_token(Purpose.INVITE)
def accept_invitation(
    request: HttpRequest, token: str, inviter: Subscriber, payload: dict
) -> HttpResponse:
    municipality = inviter.municipality
    child = Child.objects.filter(pk=payload.get("c"), municipality=municipality).first()
    if child is None or child.status not in (Child.Status.EXPECTING, Child.Status.BORN):
        return _link_problem(request, expired=False, municipality=municipality)
    form = InvitationForm(request.POST or None, privacy_url=_privacy_url(municipality))
    if request.method == "POST" and form.is_valid():
        email = services.normalize_email(form.cleaned_data["email"])
        if not allow(
            "signup-ip", client_ip(request), limit=SIGNUPS_PER_IP_PER_HOUR, window_seconds=3600
        ):
            return _too_many(request, municipality)
        services.accept_invitation(
            child.pk,
            services.Registration.from_form(form.cleaned_data, email=email),
            municipality=municipality,
        )
        return redirect("subscribers:sent", slug=municipality.slug)
    return render(
        request,
        "subscribers/invitation.html",
        {"municipality": municipality, "form": form, "inviter": inviter},
    )


@csrf_exempt  # RFC 8058: mail clients POST without a session; the signed token is the proof
@require_http_methods(["GET", "POST"])
@with_token(Purpose.UNSUBSCRIBE)
def one_click_unsubscribe(
    request: HttpRequest, token: str, subscriber: Subscriber, payload: dict
) -> HttpResponse:
    if request.method == "POST":
        services.unsubscribe(subscriber.pk, "ワンクリック配信停止")
        return render(
            request, "subscribers/unsubscribed.html", {"municipality": subscriber.municipality}
        )
    return render(
        request,
        "subscribers/one_click.html",
        {"municipality": subscriber.municipality, "subscriber": subscriber},
    )
