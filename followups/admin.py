"""Questionnaires and follow-up settings in the admin: a municipality's editors write them, its
viewers and health staff read them. Cases and answers are not here: they hold names, and only
the health staff's own pages (views.py) show them, each view in the audit trail.

Questions lock once a questionnaire has answers: answers are stored by option number.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from municipalities.access import roles_for_request
from municipalities.admin_scoping import ALL, NONE, READ, MunicipalityScopedAdminMixin

from .models import FollowupSettings, Question, Questionnaire


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    min_num = 1
    ordering = ["order", "pk"]
    fields = ["order", "kind", "text", "help_text", "options", "required", "item_threshold"]

    def _actions(self, request: HttpRequest, obj: Questionnaire | None) -> frozenset[str]:
        roles = roles_for_request(request)
        if obj is None:
            return ALL if roles.superuser or roles.editor_of else NONE
        editable = roles.superuser or obj.municipality_id in roles.editor_of
        if editable and not obj.responses.exists():
            return ALL
        if editable or obj.municipality_id in roles.viewer_of:
            return READ
        return NONE

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._actions(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return "add" in self._actions(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return "change" in self._actions(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return "delete" in self._actions(request, obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    inlines = [QuestionInline]
    list_display = ["title", "stage_label", "municipality", "active", "queue"]
    list_filter = ["municipality", "active"]
    search_fields = ["title"]
    fields = [
        "municipality",
        "title",
        "intro",
        ("track", "unit", "number"),
        "total_threshold",
        "source",
        "active",
    ]

    @admin.display(description="時期")
    def stage_label(self, obj: Questionnaire) -> str:
        return obj.stage_label

    @admin.display(description="")
    def queue(self, obj: Questionnaire) -> str:
        return format_html('<a href="{}">フォローアップの一覧</a>', reverse("followups:cases"))


@admin.register(FollowupSettings)
class FollowupSettingsAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    list_display = ["municipality", "contact_within_days", "closed_year_end"]
    fields = ["municipality", "contact_within_days", "closed_year_end", "reply_text"]
