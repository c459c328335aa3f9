from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kizuna.choices import CADENCE_PRESETS

from .admin_scoping import (
    ALL,
    READ,
    MunicipalityInlineScopingMixin,
    MunicipalityScopedAdminMixin,
)
from .models import ConsultationContact, Municipality, StaffMembership

# Set only by superusers: they decide which tenant a municipality is and where its pages live.
IDENTITY_FIELDS = ["kind", "name", "prefecture", "code", "slug"]


class ConsultationContactInline(MunicipalityInlineScopingMixin, admin.TabularInline):
    model = ConsultationContact
    extra = 0


class StaffMembershipInline(MunicipalityInlineScopingMixin, admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]
    superuser_only = True


BAND_FIELDS = [
    "cadence_pregnancy",
    "cadence_newborn",
    "cadence_infant",
    "cadence_age_one",
    "cadence_age_two",
    "cadence_preschool",
]


class MunicipalityForm(forms.ModelForm):
    """The programme's cadence: a preset fills every band; 「個別に設定」 keeps the bands as set."""

    cadence_preset = forms.ChoiceField(
        label=_("配信の頻度（プリセット）"),
        choices=[("", _("個別に設定（下の各期間の設定のまま）"))]
        + [(key, label) for key, (label, _bands) in CADENCE_PRESETS.items()],
        required=False,
        help_text=_(
            "選ぶと下の各期間の頻度をまとめて設定します。粗い頻度は細かい頻度の一部なので、"
            "途中で変えても同じ日に2通届いたり、同じ文面が繰り返されたりしません。"
        ),
    )

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("cadence_preset")
        if preset:
            for band, cadence in CADENCE_PRESETS[preset][1].items():
                cleaned[f"cadence_{band}"] = cadence.value
        return cleaned


@admin.register(Municipality)
class MunicipalityAdmin(MunicipalityScopedAdminMixin, SimpleHistoryAdmin):
    """Editors change their municipality's settings; only superusers add or remove tenants."""

    municipality_field = "id"
    member_editor_actions = frozenset({"view", "change"})
    member_viewer_actions = READ
    list_display = [
        "name",
        "prefecture",
        "code",
        "kind",
        "service_name",
        "delivery_time",
        "email_enabled",
        "line_enabled",
        "paused",
        "staff_pages",
    ]
    list_filter = ["kind", "prefecture", "paused", "email_enabled", "line_enabled"]
    search_fields = ["name", "code", "service_name", "slug"]
    inlines = [ConsultationContactInline, StaffMembershipInline]
    form = MunicipalityForm
    fieldsets = [
        (None, {"fields": ["kind", "name", "prefecture", "code", "slug"]}),
        (_("読者に見える設定"), {"fields": ["service_name", "sender_name", "sender_email"]}),
        (
            _("配信"),
            {
                "fields": [
                    "delivery_time",
                    "email_enabled",
                    "line_enabled",
                    "line_friend_url",
                    "line_monthly_quota",
                    "line_nicknames",
                    "send_only_reviewed",
                    "paused",
                ]
            },
        ),
        (
            _("配信の頻度と期間"),
            {
                "fields": [
                    "cadence_preset",
                    *BAND_FIELDS,
                    "programme_months",
                    "programme_to_first_grade",
                ],
                "description": _(
                    "期間ごとに頻度を選べます。週ごと・月ごとの文面はどの頻度でも届き、"
                    "細かい頻度ではその間の日にも届きます。"
                ),
            },
        ),
    ]
    history_list_display = ["service_name", "paused"]

    def get_readonly_fields(self, request, obj=None):
        # Pausing is an operator's control (/ops/), confirmed and recorded there: the admin
        # shows it and never changes it, for superusers too.
        if self.staff_roles(request).superuser:
            return ["paused"]
        return [*IDENTITY_FIELDS, "paused"]

    def save_model(self, request, obj, form, change):
        # A reverted history version carries the paused flag of its day: keep today's.
        if change:
            obj.paused = Municipality.objects.values_list("paused", flat=True).get(pk=obj.pk)
        else:
            obj.paused = False
        super().save_model(request, obj, form, change)

    @admin.display(description=_("スタッフ用ページ"))
    def staff_pages(self, obj):
        return format_html(
            '<a href="{}">{}</a>　<a href="{}?municipality={}">{}</a>',
            reverse("staff:municipality_overview", args=[obj.pk]),
            _("概要"),
            reverse("staff:preview"),
            obj.pk,
            _("配信プレビュー"),
        )


@admin.register(StaffMembership)
class StaffMembershipAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    """Who works where: granted by superusers only."""

    member_editor_actions = frozenset()
    member_viewer_actions = frozenset()
    list_display = ["user", "municipality", "role", "created_at"]
    list_filter = ["role", ("municipality", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email", "municipality__name"]
    autocomplete_fields = ["user", "municipality"]


@admin.register(ConsultationContact)
class ConsultationContactAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    member_editor_actions = ALL
    list_display = ["name", "municipality", "phone", "hours", "order"]
    list_filter = [("municipality", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["municipality"]
    search_fields = ["name", "phone", "municipality__name"]
