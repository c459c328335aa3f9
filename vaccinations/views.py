"""Parents' vaccination pages (the schedule, recording a dose, the calendar) and the staff page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.decorators import audited
from kizuna import clock, i18n, spreadsheets
from municipalities.access import readable_municipalities, roles_for_request
from municipalities.models import Municipality
from municipalities.staff_pages import staff_context, staff_page
from subscribers.models import Child, Subscriber
from subscribers.tokens import TokenError
from subscribers.views import manage_page

from . import calendar, links, rules, schedule, selectors, services
from .forms import RecordForm, RemoveForm
from .models import ReminderSettings

FOLLOWED = [Child.Status.EXPECTING, Child.Status.BORN]


@dataclass(frozen=True)
class ChildSchedule:
    child: Child
    heading: str
    overdue: list[schedule.DoseDates]
    now: list[schedule.DoseDates]
    soon: list[schedule.DoseDates]
    later: list[schedule.DoseDates]
    done: list[schedule.DoseDates]
    recordable: list[schedule.DoseDates]
    calendar_url: str


SOON_DAYS = 60


def _children(subscriber: Subscriber) -> list[Child]:
    """The children the reader follows; none after a loss (nothing about vaccinations then)."""
    return list(
        Child.objects.filter(
            subscriptions__subscriber=subscriber,
            subscriptions__ended_at__isnull=True,
            status__in=FOLLOWED,
        )
        .select_related("municipality")
        .order_by("pk")
    )


def _heading(child: Child) -> str:
    if child.status == Child.Status.EXPECTING and child.due_date:
        return _("出産予定日 %(date)sの妊娠") % {"date": i18n.local_date(child.due_date)}
    assert child.birth_date is not None  # noqa: S101 (a born child has a birth date)
    born = child.birth_date
    return _("%(date)s生まれのお子さま") % {"date": i18n.local_date(born)}


def _schedule_of(subscriber: Subscriber, child: Child) -> ChildSchedule:
    today = clock.today()
    entries = services.child_schedule(child)
    by_status: dict[schedule.Status, list[schedule.DoseDates]] = {s: [] for s in schedule.Status}
    for entry in entries:
        by_status[entry.status(today)].append(entry)
    upcoming = sorted(by_status[schedule.Status.UPCOMING], key=lambda e: e.earliest or today)
    soon_limit = today.toordinal() + SOON_DAYS
    return ChildSchedule(
        child=child,
        heading=_heading(child),
        overdue=by_status[schedule.Status.OVERDUE],
        now=by_status[schedule.Status.OPEN],
        soon=[e for e in upcoming if e.earliest and e.earliest.toordinal() <= soon_limit],
        later=[e for e in upcoming if e.earliest and e.earliest.toordinal() > soon_limit]
        + by_status[schedule.Status.WAITING],
        done=sorted(
            by_status[schedule.Status.DONE], key=lambda e: e.given.on if e.given else today
        ),
        recordable=services.recordable(child, today),
        calendar_url=links.calendar_url(subscriber, child),
    )


def _render(request: HttpRequest, subscriber: Subscriber, **extra: Any) -> HttpResponse:
    children = _children(subscriber)
    return render(
        request,
        "vaccinations/schedule.html",
        {
            "municipality": subscriber.municipality,
            "subscriber": subscriber,
            "schedules": [_schedule_of(subscriber, child) for child in children],
            "today": clock.today(),
            "note": getattr(
                ReminderSettings.objects.filter(municipality=subscriber.municipality).first(),
                "note",
                "",
            ),
            **extra,
        },
    )


@require_GET
@manage_page()
def schedule_page(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    return _render(request, subscriber)


def _back(child_id: int | None = None) -> HttpResponse:
    anchor = f"#child-{child_id}" if child_id else ""
    return redirect(reverse("vaccinations:schedule") + anchor)


def _followed_child(subscriber: Subscriber, child_id: int) -> Child | None:
    return (
        Child.objects.filter(
            pk=child_id,
            subscriptions__subscriber=subscriber,
            subscriptions__ended_at__isnull=True,
            status__in=FOLLOWED,
        )
        .select_related("municipality")
        .first()
    )


def _first_error(form: django_forms.Form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("入力を確かめてください。")


@require_POST
@manage_page(changes=True)
def record(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    form = RecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back()
    child = _followed_child(subscriber, form.cleaned_data["child"])
    if child is None:
        messages.error(request, _("このお子さまの情報は見つかりませんでした。"))
        return _back()
    try:
        recorded = services.record_dose(
            child=child,
            dose=form.cleaned_data["dose"],
            given_on=form.cleaned_data["given_on"],
            by=subscriber,
        )
    except services.RecordError as error:
        messages.error(request, str(error))
        return _back(child.pk)
    vaccine = rules.all_rules().vaccine_of(recorded.dose)
    label = rules.all_rules().doses[recorded.dose].label
    messages.success(
        request,
        _(
            "%(vaccine)s %(dose)sを%(date)sの接種として記録しました。"
            "この接種のお知らせはもう届きません。"
        )
        % {
            "vaccine": vaccine.name,
            "dose": label,
            "date": i18n.local_date(recorded.given_on, "month_day"),
        },
    )
    return _back(child.pk)


@require_POST
@manage_page(changes=True)
def remove(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    form = RemoveForm(request.POST)
    child = _followed_child(subscriber, form.cleaned_data["child"]) if form.is_valid() else None
    if child is None:
        messages.error(request, _("このお子さまの情報は見つかりませんでした。"))
        return _back()
    removed = services.remove_record(child=child, dose=form.cleaned_data["dose"])
    if removed:
        messages.success(
            request,
            _("記録を取り消しました（あとの回の記録も取り消しました）。")
            if removed > 1
            else _("記録を取り消しました。"),
        )
    return _back(child.pk)


@require_GET
def calendar_file(request: HttpRequest, token: str) -> HttpResponse:
    """The child's calendar (.ics). After a loss, or once the reader left, it has no events."""
    try:
        subscriber_id, child_id = links.read_calendar_token(token)
    except (TokenError, KeyError, ValueError) as error:
        raise Http404("カレンダーのアドレスが正しくないか、有効期限が切れています。") from error
    subscriber = Subscriber.objects.filter(pk=subscriber_id, erased_at__isnull=True).first()
    if subscriber is None:
        raise Http404("カレンダーが見つかりません。")
    child = Child.objects.filter(pk=child_id, subscriptions__subscriber=subscriber).first()
    if child is None:
        raise Http404("カレンダーが見つかりません。")
    active = (
        subscriber.unsubscribed_at is None
        and child.status in FOLLOWED
        and child.subscriptions.filter(subscriber=subscriber, ended_at__isnull=True).exists()
    )
    entries = services.child_schedule(child) if active else []
    body = calendar.build(
        child.pk,
        entries,
        calendar_name=_("予防接種（%(service)s）")
        % {"service": subscriber.municipality.service_name},
        schedule_url=links.schedule_url(subscriber) if active else "",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="vaccinations.ics"'
    return response


# Staff --------------------------------------------------------------------------------------


class SettingsForm(django_forms.ModelForm):
    optional_vaccines = django_forms.MultipleChoiceField(
        label="お知らせと予定に加える任意接種",
        choices=rules.optional_codes(),
        required=False,
        widget=django_forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ReminderSettings
        fields = [
            "reminders_on",
            "opens_lead_days",
            "deadline_lead_days",
            "note",
            "optional_vaccines",
        ]
        widgets = {"note": django_forms.Textarea(attrs={"rows": 3})}


def _staff_municipality(request: HttpRequest, pk: int) -> Municipality:
    return get_object_or_404(readable_municipalities(request), pk=pk)


@staff_page
def staff_index(request: HttpRequest) -> HttpResponse:
    municipalities = list(readable_municipalities(request).order_by("code"))
    if len(municipalities) == 1:
        return redirect("vaccinations:staff_coverage", pk=municipalities[0].pk)
    return render(
        request,
        "vaccinations/staff/index.html",
        staff_context(request, "予防接種", municipalities=municipalities),
    )


@audited("view", "vaccinations.coverage")
@staff_page
@require_http_methods(["GET", "POST"])
def staff_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = _staff_municipality(request, pk)
    settings = services.settings_for(municipality)
    can_edit = pk in roles_for_request(request).editor_of or roles_for_request(request).superuser
    form = SettingsForm(request.POST or None, instance=settings)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            form.save()
            messages.success(request, "予防接種のお知らせの設定を保存しました。")
            return redirect("vaccinations:staff_coverage", pk=pk)
    items = selectors.coverage(municipality, clock.today(), settings.optional_vaccines)
    return render(
        request,
        "vaccinations/staff/coverage.html",
        staff_context(
            request,
            f"予防接種（{municipality.name}）",
            municipality=municipality,
            items=items,
            form=form,
            can_edit=can_edit,
            today=clock.today(),
            version=rules.routine().version,
        ),
    )


@audited("export", "vaccinations.coverage")
@staff_page
@require_GET
def staff_coverage_csv(request: HttpRequest, pk: int) -> HttpResponse:
    municipality = _staff_municipality(request, pk)
    settings = services.settings_for(municipality)
    items = selectors.coverage(municipality, clock.today(), settings.optional_vaccines)
    return spreadsheets.table_download(
        selectors.coverage_rows(municipality, items),
        f"vaccination-coverage-{municipality.code}-{clock.today():%Y%m%d}",
        spreadsheets.Format.from_request(request.GET.get("format")),
    )
