"""Parent pages: thin views over subscribers.services, reached by signed links only."""

from __future__ import annotations

import functools
import json
import re
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from content.programme import programme_from, promise
from kizuna import clock
from kizuna.ratelimit import Limit, allow, allow_all, client_ip
from municipalities import selectors as municipality_selectors
from municipalities.models import Municipality

from . import emails, links, personal_data, selectors, services, tasks
from .erasure import ONE_CLICK_REASON
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
from .line_chat import line_signup_url
from .models import Child, Subscriber
from .tokens import Purpose, TokenError, link_lifetime_days, read_token

# The add-child form shares field names with the birth report on the same page.
ADD_CHILD_PREFIX = "new"


def _municipality(slug: str) -> Municipality:
    municipality = municipality_selectors.by_slug(slug)
    if municipality is None:
        raise Http404(f"No municipality at /m/{slug}/.")
    return municipality


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
            subscriber = _reader(payload.get("s"))
            if subscriber is None:
                return _link_problem(request, expired=False)
            return view(request, token, subscriber, payload, *args, **kwargs)

        return wrapper

    return decorator


def _reader(pk) -> Subscriber | None:
    found = selectors.reader(pk)
    return found if found is not None and found.erased_at is None else None


READER_SESSION_KEY = "kizuna_reader"


def manage_page(*, changes: bool = False):
    """The manage pages: the signed link in a mail is exchanged, on first use, for a session
    (Django's, which ends after ``KIZUNA_SESSION_IDLE_MINUTES`` idle) and the browser sent on to
    the same page without the token, so tokens stay out of access logs, history and Referer.

    ``changes``: the view changes the registration, which a reader who left cannot do (their
    page offers only to rejoin, by a fresh confirmation).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, token: str | None = None, **kwargs):
            if token is not None:
                try:
                    payload = read_token(Purpose.MANAGE, token)
                except TokenError as error:
                    return _link_problem(request, expired=error.expired)
                subscriber = _reader(payload.get("s"))
                if subscriber is None:
                    return _link_problem(request, expired=False)
                if request.session.get(READER_SESSION_KEY) != subscriber.pk:
                    request.session.cycle_key()
                    request.session[READER_SESSION_KEY] = subscriber.pk
                if request.method == "GET":
                    return redirect(request.path.replace(f"/{token}/", "/", 1))
            else:
                subscriber = _reader(request.session.get(READER_SESSION_KEY))
                if subscriber is None:
                    return _session_ended(request)
            if changes and subscriber.unsubscribed_at is not None:
                messages.error(request, _("配信を停止しているため、登録内容は変更できません。"))
                return _back_to_manage()
            return view(request, subscriber, *args, **kwargs)

        return wrapper

    return decorator


def _session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "subscribers/session_ended.html", status=403)


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
        email = form.cleaned_data["email"]
        if not allow_all(
            Limit("signup-ip", client_ip(request), settings.KIZUNA_SIGNUPS_PER_IP_PER_HOUR, 3600),
            Limit(
                "signup-email",
                f"{municipality.pk}:{email}",
                settings.KIZUNA_SIGNUPS_PER_ADDRESS_PER_HOUR,
                3600,
            ),
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
        {
            "municipality": municipality,
            "form": form,
            "promise": promise(programme_from(municipality)),
        },
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
    """The same answer whether or not the address was known: no one can probe for readers.

    A signup may have been answered with either mail (a new reader's confirmation, a known
    reader's manage link), so that page names both links' lifetimes, from the tokens' own.
    """
    return render(
        request,
        "subscribers/sent.html",
        {
            "municipality": _municipality(slug),
            "manage_link_only": request.GET.get("for") == "manage",
            "confirm_days": link_lifetime_days(Purpose.CONFIRM),
            "manage_days": link_lifetime_days(Purpose.MANAGE),
        },
    )


def privacy(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "subscribers/privacy.html", {"municipality": _municipality(slug)})


@require_http_methods(["GET", "POST"])
def request_manage_link(request: HttpRequest, slug: str) -> HttpResponse:
    municipality = _municipality(slug)
    form = ManageLinkRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not allow("manage-link", client_ip(request), limit=10, window_seconds=3600):
            return _too_many(request, municipality)
        subscriber = Subscriber.objects.filter(
            municipality=municipality, erased_at__isnull=True
        ).holding(email)
        if subscriber is not None and subscriber.confirmed_at is not None:
            tasks.queue_parent_mail(emails.Kind.MANAGE_LINK, subscriber)
        return redirect(reverse("subscribers:sent", args=[municipality.slug]) + "?for=manage")
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
    # The payload is ours, signed by links.rejoin_url or links.confirm_url.
    rejoin = cast(links.ConfirmPayload, payload) if "left" in payload else None
    child = Child.objects.filter(pk=payload.get("c"), municipality=subscriber.municipality).first()
    if child is None and (rejoin is None or "c" in payload):
        return _link_problem(request, expired=False, municipality=subscriber.municipality)
    if request.method == "POST":
        try:
            services.confirm(subscriber.pk, child.pk if child else None, rejoin=rejoin)
        except services.ServiceError as error:
            messages.error(request, str(error))
            if subscriber.unsubscribed_at is not None:
                # Their own page says plainly that they left, and how to come back.
                return redirect("subscribers:manage", token=links.manage_token(subscriber))
            return redirect("subscribers:landing", slug=subscriber.municipality.slug)
        messages.success(request, _("登録が完了しました。次のメッセージからお届けします。"))
        return redirect("subscribers:manage", token=links.manage_token(subscriber))
    return render(
        request,
        "subscribers/confirm.html",
        {"municipality": subscriber.municipality, "subscriber": subscriber, "child": child},
    )


@manage_page()
def manage(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    if subscriber.unsubscribed_at is not None:
        # A reader who left sees that plainly; the page offers to rejoin and changes nothing.
        municipality = subscriber.municipality
        return render(
            request,
            "subscribers/manage_departed.html",
            {
                "municipality": municipality,
                "subscriber": subscriber,
                "contacts": municipality.contacts.all(),
                "erased_on": selectors.erasure_date(subscriber),
                "line_signup_url": _line_rejoin_url(subscriber),
            },
        )
    return _render_manage(request, subscriber)


def _render_manage(
    request: HttpRequest,
    subscriber: Subscriber,
    *,
    add_child_form: AddChildForm | None = None,
    birth_form: BirthReportForm | None = None,
    birth_child_id: int | None = None,
) -> HttpResponse:
    """The manage page; a form that failed is shown again with its errors at its fields."""
    municipality = subscriber.municipality
    invite_url = request.session.pop("invite_url", None)
    return render(
        request,
        "subscribers/manage.html",
        {
            "municipality": municipality,
            "subscriber": subscriber,
            "cards": [
                (family, _birth_form_for(family.child, birth_form, birth_child_id))
                for family in selectors.family_summaries(subscriber, clock.today())
            ],
            "settings_form": SettingsForm(
                initial={
                    "nickname": subscriber.nickname,
                    "language": subscriber.language,
                    "channel": subscriber.channel,
                },
                municipality=municipality,
            ),
            "add_child_form": add_child_form
            or AddChildForm(municipality=municipality, prefix=ADD_CHILD_PREFIX),
            "contacts": municipality.contacts.all(),
            "invite_url": invite_url,
            "invite_days": link_lifetime_days(Purpose.INVITE),
            "invite_line_share_url": (
                links.line_share_url(
                    _("%(service)sの招待リンクです。同じお子さまのメッセージを受け取れます。")
                    % {"service": municipality.service_name},
                    invite_url,
                )
                if invite_url
                else ""
            ),
        },
    )


def _birth_form_for(
    child: Child, failed: BirthReportForm | None, failed_child_id: int | None
) -> BirthReportForm | None:
    """Each pregnancy's birth report form, with ids of its own (a family may expect twice)."""
    if child.status != Child.Status.EXPECTING:
        return None
    if failed is not None and failed_child_id == child.pk:
        return failed
    return BirthReportForm(auto_id=f"id_birth_{child.pk}_%s")


def _line_rejoin_url(subscriber: Subscriber) -> str | None:
    """A LINE reader's manage link came through their LINE chat: it may open the LINE signup."""
    if subscriber.email or not subscriber.line_user_id:
        return None
    return line_signup_url(subscriber.municipality, subscriber.line_user_id)


@require_POST
@manage_page()
def rejoin(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    """A reader who left asks to receive again: a fresh confirmation mail, nothing else yet."""
    if subscriber.unsubscribed_at is None:
        return _back_to_manage()
    if not allow("rejoin", str(subscriber.pk), limit=3, window_seconds=3600):
        return _too_many(request, subscriber.municipality)
    services.request_rejoin(subscriber)
    return render(request, "subscribers/sent.html", {"municipality": subscriber.municipality})


def _back_to_manage() -> HttpResponse:
    return redirect("subscribers:manage_home")


def _followed_child(subscriber: Subscriber, child_id: int) -> Child | None:
    return Child.objects.filter(
        pk=child_id, subscriptions__subscriber=subscriber, subscriptions__ended_at__isnull=True
    ).first()


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@require_POST
@manage_page(changes=True)
def report_birth(request: HttpRequest, subscriber: Subscriber, child_id: int) -> HttpResponse:
    child = _followed_child(subscriber, child_id)
    form = BirthReportForm(request.POST, auto_id=f"id_birth_{child_id}_%s")
    if child is None:
        messages.error(request, _("このお子さまの情報は見つかりませんでした。"))
    elif not form.is_valid():
        return _render_manage(request, subscriber, birth_form=form, birth_child_id=child.pk)
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
    return _back_to_manage()


@require_POST
@manage_page(changes=True)
def add_child(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    form = AddChildForm(request.POST, municipality=subscriber.municipality, prefix=ADD_CHILD_PREFIX)
    if form.is_valid():
        services.add_child(
            subscriber,
            due_date=form.cleaned_data["due_date"],
            birth_date=form.cleaned_data["birth_date"],
        )
        messages.success(request, _("お子さまを追加しました。"))
        return _back_to_manage()
    return _render_manage(request, subscriber, add_child_form=form)


@require_POST
@manage_page(changes=True)
def update_settings(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    form = SettingsForm(
        request.POST,
        initial={"language": subscriber.language},
        municipality=subscriber.municipality,
    )
    if form.is_valid():
        try:
            services.update_settings(subscriber, **form.cleaned_data)
        except services.ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("設定を保存しました。"))
    else:
        _form_errors(request, form)
    return _back_to_manage()


@require_POST
@manage_page(changes=True)
def create_invitation(request: HttpRequest, subscriber: Subscriber, child_id: int) -> HttpResponse:
    child = _followed_child(subscriber, child_id)
    if child is None or child.status not in (Child.Status.EXPECTING, Child.Status.BORN):
        messages.error(request, _("このお子さまには招待リンクを作れません。"))
    else:
        request.session["invite_url"] = links.invite_url(subscriber, child)
    return _back_to_manage()


@require_http_methods(["GET", "POST"])
@manage_page(changes=True)
def report_loss(request: HttpRequest, subscriber: Subscriber, child_id: int) -> HttpResponse:
    child = _followed_child(subscriber, child_id)
    if child is None:
        messages.error(request, _("このお子さまの情報は見つかりませんでした。"))
        return _back_to_manage()
    form = LossReportForm(request.POST or None, child=child)
    if request.method == "POST" and form.is_valid():
        services.report_loss(child.pk, form.cleaned_data["loss"])
        return render(
            request,
            "subscribers/loss_done.html",
            {
                "municipality": subscriber.municipality,
                "contacts": subscriber.municipality.contacts.all(),
            },
        )
    return render(
        request,
        "subscribers/loss.html",
        {"municipality": subscriber.municipality, "form": form, "child": child},
    )


@require_http_methods(["GET", "POST"])
@manage_page(changes=True)
def leave(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
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
        {"municipality": subscriber.municipality, "form": form},
    )


@manage_page()
def download_data(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    body = json.dumps(services.export_personal_data(subscriber), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kizuna-my-data.json"'
    return response


@manage_page()
def download_data_readable(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    """The same data for a person: Japanese labels, Japan time; ``?download=1`` saves it."""
    data = services.export_personal_data(subscriber)
    response = render(
        request,
        "subscribers/my_data.html",
        {
            "municipality": subscriber.municipality,
            "subscriber": subscriber,
            "sections": personal_data.readable_sections(data),
            "made_at": clock.now(),
        },
    )
    if request.GET.get("download"):
        name = f"kizuna-my-data-{clock.today():%Y%m%d}.html"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@with_token(Purpose.INVITE)
def accept_invitation(
    request: HttpRequest, token: str, inviter: Subscriber, payload: dict
) -> HttpResponse:
    municipality = inviter.municipality
    child = Child.objects.filter(pk=payload.get("c"), municipality=municipality).first()
    if child is None or child.status not in (Child.Status.EXPECTING, Child.Status.BORN):
        return _link_problem(request, expired=False, municipality=municipality)
    form = InvitationForm(
        request.POST or None, municipality=municipality, privacy_url=_privacy_url(municipality)
    )
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not allow(
            "signup-ip",
            client_ip(request),
            limit=settings.KIZUNA_SIGNUPS_PER_IP_PER_HOUR,
            window_seconds=3600,
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
        services.unsubscribe(subscriber.pk, ONE_CLICK_REASON)
        return render(
            request, "subscribers/unsubscribed.html", {"municipality": subscriber.municipality}
        )
    return render(
        request,
        "subscribers/one_click.html",
        {"municipality": subscriber.municipality, "subscriber": subscriber},
    )
