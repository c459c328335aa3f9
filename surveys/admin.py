"""Surveys in the admin: a municipality's editors write them, its viewers read them.

Questions are inlines. Once a survey has been sent, its questions are locked: answers are stored
by option number, so changing an option afterwards would change what readers said.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from content.admin import STAFF_CSS
from kizuna import clock
from kizuna.fiscal import fiscal_year_label, fiscal_year_of
from municipalities.access import roles_for_request
from municipalities.admin_scoping import ALL, NONE, READ, MunicipalityScopedAdminMixin
from subscribers.models import Subscriber

from . import stage_buckets
from .models import Question, Survey


def fiscal_year_choices() -> list[tuple[int, str]]:
    current = fiscal_year_of(clock.today())
    return [(year, fiscal_year_label(year)) for year in range(current + 1, current - 6, -1)]


class SurveyForm(forms.ModelForm):
    fiscal_year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=fiscal_year_choices)
    target_stages = forms.MultipleChoiceField(
        label=_("対象の時期"),
        choices=stage_buckets.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("「時期・続柄を選ぶ」のとき。選ばない場合はすべての時期。"),
    )
    target_relationships = forms.MultipleChoiceField(
        label=_("対象の続柄"),
        choices=Subscriber.Relationship.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("「時期・続柄を選ぶ」のとき。選ばない場合はすべての続柄。"),
    )

    class Meta:
        model = Survey
        fields = [
            "municipality",
            "title",
            "fiscal_year",
            "intro",
            "opens_on",
            "closes_on",
            "target",
            "target_stages",
            "target_relationships",
            "public_results",
        ]
        widgets = {"intro": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["fiscal_year"].initial = fiscal_year_of(clock.today())
        elif self.instance.fiscal_year not in dict(fiscal_year_choices()):
            # An old survey keeps its year selectable.
            self.fields["fiscal_year"].choices = [
                (self.instance.fiscal_year, fiscal_year_label(self.instance.fiscal_year)),
                *fiscal_year_choices(),
            ]


class QuestionInlineForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["order", "kind", "text", "help_text", "options", "required"]
        widgets = {"options": forms.Textarea(attrs={"rows": 3, "cols": 30})}


class QuestionInline(admin.StackedInline):
    """Questions follow their survey's scope, and lock once the survey has been sent."""

    model = Question
    form = QuestionInlineForm
    extra = 0
    min_num = 1
    ordering = ["order", "pk"]

    def _actions(self, request, obj) -> frozenset[str]:
        roles = roles_for_request(request)
        if obj is None:
            return ALL if roles.superuser or roles.editor_of else NONE
        editable = roles.superuser or obj.municipality_id in roles.editor_of
        if editable and obj.first_sent_at is None and not obj.responses.exists():
            return ALL
        if editable or obj.municipality_id in roles.viewer_of:
            return READ
        return NONE

    def has_view_permission(self, request, obj=None) -> bool:
        return bool(self._actions(request, obj))

    def has_add_permission(self, request, obj=None) -> bool:
        return "add" in self._actions(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return "change" in self._actions(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return "delete" in self._actions(request, obj)


@admin.register(Survey)
class SurveyAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    form = SurveyForm
    inlines = [QuestionInline]
    list_display = ["title", "fiscal_year_label", "municipality", "period", "status", "pages"]
    list_filter = ["fiscal_year", "municipality", "public_results"]
    search_fields = ["title"]
    readonly_fields = ["first_sent_at", "staff_pages", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["municipality", "title", "fiscal_year", "intro"]}),
        (_("受付期間"), {"fields": ["opens_on", "closes_on"]}),
        (_("対象"), {"fields": ["target", "target_stages", "target_relationships"]}),
        (_("公開と配信"), {"fields": ["public_results", "first_sent_at", "staff_pages"]}),
    ]

    class Media:
        css = STAFF_CSS

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("fiscal_year", fiscal_year_of(clock.today()))
        return initial

    @admin.display(description=_("年度"), ordering="fiscal_year")
    def fiscal_year_label(self, obj: Survey) -> str:
        return obj.wareki

    @admin.display(description=_("受付期間"), ordering="opens_on")
    def period(self, obj: Survey) -> str:
        return f"{obj.opens_on:%Y-%m-%d} 〜 {obj.closes_on:%Y-%m-%d}"

    @admin.display(description=_("状態"))
    def status(self, obj: Survey) -> str:
        state = obj.state_on(clock.today())
        label = {"before": _("受付前"), "open": _("受付中"), "closed": _("締め切り")}[state]
        return f"{label}・{_('配信済み') if obj.first_sent_at else _('未配信')}"

    @admin.display(description=_("プレビュー・配信・結果"))
    def pages(self, obj: Survey) -> str:
        return format_html(
            '<a href="{}">{}</a>　<a href="{}">{}</a>',
            reverse("surveys:staff_preview", args=[obj.pk]),
            _("プレビュー・配信"),
            reverse("surveys:staff_results", args=[obj.pk]),
            _("結果"),
        )

    @admin.display(description=_("スタッフ用ページ"))
    def staff_pages(self, obj: Survey) -> str:
        if not obj.pk:
            return _("保存すると、プレビュー・配信・結果のページへのリンクが表示されます。")
        return self.pages(obj)
