from types import SimpleNamespace

from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kizuna import clock
from municipalities.admin_scoping import (
    ALL,
    READ,
    MunicipalityScopedAdminMixin,
    publish_actions,
)
from municipalities.models import Municipality

from .models import BirthdayMessage, LocalNotice, SpecialMessage, StageMessage
from .programme import stage_label_ja
from .rendering import placeholder_values, render_message
from .selectors import EXPIRY_WARNING_DAYS
from .timeline import preview_query_for_notice, preview_urls
from .validators import LINE_TEXT_LIMIT, SAMPLE_VALUES

STAFF_CSS = {"all": ["content/staff.css"]}


def _sample_municipality() -> Municipality:
    return Municipality(
        name="〇〇市",
        service_name="〇〇市 子育て応援メール",
        sender_name="〇〇市 子育て支援課",
        slug="sample",
    )


def _message_preview(text, municipality: Municipality | None = None) -> str:
    """The text as a parent will see it (HTML mail, plain text, LINE), for the change page."""
    if not text or not text.pk:
        return _("保存すると、読者に届く形で表示されます。")
    municipality = municipality or _sample_municipality()
    manage_url, unsubscribe_url = preview_urls(municipality)
    rendered = render_message(
        text,
        municipality=municipality,
        placeholders={
            **placeholder_values(municipality=municipality, nickname="はな"),
            **SAMPLE_VALUES,
        },
        contacts=list(municipality.contacts.all()) if municipality.pk else [],
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )
    return render_to_string(
        "staff/_rendered_message.html",
        {"rendered": rendered, "line_limit": LINE_TEXT_LIMIT, "compact": True},
    )


class WrittenTextAdmin(MunicipalityScopedAdminMixin, SimpleHistoryAdmin):
    """National texts: the content editors group edits them, municipality staff read them."""

    municipality_field = None
    content_editor_actions = ALL
    member_national_actions = READ
    search_fields = ["subject", "body"]
    readonly_fields = ["source_path", "updated_at", "rendered_preview"]
    list_per_page = 50
    history_list_display = ["published"]
    actions = publish_actions()

    class Media:
        css = STAFF_CSS

    @admin.display(description=_("読者に届く形"))
    def rendered_preview(self, obj):
        return _message_preview(obj)


@admin.register(StageMessage)
class StageMessageAdmin(WrittenTextAdmin):
    list_display = [
        "subject",
        "stage_label",
        "audience",
        "language",
        "published",
        "needs_medical_review",
        "updated_at",
    ]
    list_filter = ["track", "unit", "audience", "language", "published", "needs_medical_review"]
    fieldsets = [
        (None, {"fields": ["track", "unit", "number", "audience", "language"]}),
        (_("本文"), {"fields": ["subject", "body"]}),
        (
            _("公開と監修"),
            {"fields": ["published", "needs_medical_review", "source_path", "updated_at"]},
        ),
        (_("確認"), {"fields": ["rendered_preview"]}),
    ]

    @admin.display(description=_("ステージ"), ordering="number")
    def stage_label(self, obj):
        try:
            return stage_label_ja(obj.stage)
        except ValueError:
            return "—"


@admin.register(SpecialMessage)
class SpecialMessageAdmin(WrittenTextAdmin):
    list_display = ["subject", "kind", "audience", "language", "published", "needs_medical_review"]
    list_filter = ["kind", "audience", "language", "published", "needs_medical_review"]
    fieldsets = [
        (None, {"fields": ["kind", "audience", "language"]}),
        (_("本文"), {"fields": ["subject", "body"]}),
        (
            _("公開と監修"),
            {"fields": ["published", "needs_medical_review", "source_path", "updated_at"]},
        ),
        (_("確認"), {"fields": ["rendered_preview"]}),
    ]


class OwnerFilter(admin.SimpleListFilter):
    title = _("作成元")
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("national", _("全国共通（既定）")), ("municipality", _("自治体独自"))]

    def queryset(self, request, queryset):
        if self.value() == "national":
            return queryset.filter(municipality__isnull=True)
        if self.value() == "municipality":
            return queryset.filter(municipality__isnull=False)
        return queryset


@admin.register(BirthdayMessage)
class BirthdayMessageAdmin(WrittenTextAdmin):
    """Defaults (no municipality) belong to the content editors; each municipality edits its own."""

    municipality_field = "municipality"
    list_display = ["subject", "owner", "age_years", "language", "published", "updated_at"]
    list_filter = [
        "age_years",
        "language",
        "published",
        OwnerFilter,
        ("municipality", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["municipality"]
    fieldsets = [
        (None, {"fields": ["municipality", "age_years", "language"]}),
        (_("本文"), {"fields": ["subject", "body"]}),
        (_("公開"), {"fields": ["published", "source_path", "updated_at"]}),
        (_("確認"), {"fields": ["rendered_preview"]}),
    ]

    @admin.display(description=_("自治体"), ordering="municipality__code")
    def owner(self, obj):
        return obj.municipality or _("全国共通（既定）")

    @admin.display(description=_("読者に届く形"))
    def rendered_preview(self, obj):
        return _message_preview(obj, obj.municipality if obj and obj.municipality_id else None)


class NoticeStatusFilter(admin.SimpleListFilter):
    title = _("掲載状況")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("showing", _("掲載中")),
            ("expiring", _("%(days)d日以内に終了") % {"days": EXPIRY_WARNING_DAYS}),
            ("upcoming", _("掲載前")),
            ("ended", _("掲載終了")),
            ("draft", _("下書き")),
        ]

    def queryset(self, request, queryset):
        today = clock.today()
        value = self.value()
        if value == "showing":
            return queryset.published().shown_on(today)
        if value == "expiring":
            return queryset.expiring(today, EXPIRY_WARNING_DAYS)
        if value == "upcoming":
            return queryset.published().filter(starts_on__gt=today)
        if value == "ended":
            return queryset.filter(ends_on__lt=today)
        if value == "draft":
            return queryset.filter(published=False)
        return queryset


@admin.register(LocalNotice)
class LocalNoticeAdmin(MunicipalityScopedAdminMixin, SimpleHistoryAdmin):
    """A municipality's own notices: its editors write them, its viewers read them."""

    municipality_field = "municipality"
    list_display = [
        "title",
        "municipality",
        "stage_range",
        "window",
        "channels",
        "order",
        "status",
        "updated_at",
    ]
    list_filter = [
        NoticeStatusFilter,
        "track",
        "channels",
        ("municipality", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["municipality"]
    search_fields = ["title", "body"]
    ordering = ["municipality__code", "track", "unit", "number_from", "order"]
    list_per_page = 50
    actions = publish_actions()
    save_as = True
    readonly_fields = ["updated_at", "rendered_preview"]
    history_list_display = ["published"]
    fieldsets = [
        (None, {"fields": ["municipality", "title", "body"]}),
        (_("翻訳（外国語の読者向け）"), {"fields": ["translations"], "classes": ["collapse"]}),
        (
            _("載せる時期（妊娠週数・月齢）"),
            {
                "fields": ["track", "unit", ("number_from", "number_to")],
                "description": _(
                    "例: 3〜4か月児健診の案内は「子ども」「か月」「3」〜「4」。生後3か月から"
                    "5か月になる前日まで、毎回のメッセージの後に載ります。"
                ),
            },
        ),
        (_("掲載期間"), {"fields": [("starts_on", "ends_on")]}),
        (_("配信"), {"fields": ["channels", "order", "published", "updated_at"]}),
        (_("確認"), {"fields": ["rendered_preview"]}),
    ]

    class Media:
        css = STAFF_CSS

    @admin.display(description=_("対象"), ordering="number_from")
    def stage_range(self, obj):
        return obj.stage_range_label

    @admin.display(description=_("掲載期間"), ordering="ends_on")
    def window(self, obj):
        if not obj.starts_on and not obj.ends_on:
            return _("期限なし")
        start = f"{obj.starts_on:%Y-%m-%d}" if obj.starts_on else ""
        end = f"{obj.ends_on:%Y-%m-%d}" if obj.ends_on else ""
        return f"{start}〜{end}"

    @admin.display(description=_("状況"))
    def status(self, obj):
        today = clock.today()
        if not obj.published:
            return _("下書き")
        if obj.starts_on and obj.starts_on > today:
            return _("掲載前")
        if obj.ends_on and obj.ends_on < today:
            return _("掲載終了")
        if obj.ends_on and (obj.ends_on - today).days <= EXPIRY_WARNING_DAYS:
            return format_html('<strong class="kz-warn">{}</strong>', _("まもなく終了"))
        return _("掲載中")

    @admin.display(description=_("読者に届く形"))
    def rendered_preview(self, obj):
        if not obj or not obj.pk:
            return _("保存すると、読者に届く形で表示されます。")
        municipality = obj.municipality
        manage_url, unsubscribe_url = preview_urls(municipality)
        # The notice inside a message, with a stand-in where the national text goes.
        rendered = render_message(
            SimpleNamespace(
                subject=str(_("（その日のメッセージの件名）")),
                body=str(_("（ここに、その日の妊娠週数・月齢のメッセージが入ります）")),
                language="ja",
            ),
            municipality=municipality,
            placeholders={
                **placeholder_values(municipality=municipality, nickname="はな"),
                **SAMPLE_VALUES,
            },
            notices=[obj],
            contacts=list(municipality.contacts.all()),
            manage_url=manage_url,
            unsubscribe_url=unsubscribe_url,
        )
        url = reverse("staff:preview") + "?" + preview_query_for_notice(obj, clock.today())
        return render_to_string(
            "staff/_notice_preview.html",
            {
                "notice": obj,
                "rendered": rendered,
                "timeline_url": url,
                "line_limit": LINE_TEXT_LIMIT,
            },
        )
