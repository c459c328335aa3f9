"""Reviewers are appointed by superusers (national) or listed per municipality; versions, their
decisions and reader votes are read here and changed only through the review pages."""

from django.contrib import admin

from municipalities.admin_scoping import NONE, READ, MunicipalityScopedAdminMixin

from .models import Reviewer, TextVersion, Vote


@admin.register(Reviewer)
class ReviewerAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    # Only superusers appoint reviewers: whoever is a reviewer decides what families read.
    member_editor_actions = READ
    member_viewer_actions = READ
    content_editor_actions = READ
    list_display = ["user", "field", "municipality", "active"]
    list_filter = ["field", "active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]


@admin.register(TextVersion)
class TextVersionAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    member_editor_actions = READ
    member_viewer_actions = READ
    member_national_actions = READ
    content_editor_actions = READ
    list_display = ["stage_label", "subject", "state", "current", "short_hash", "approved_at"]
    list_filter = ["state", "current", "track", "language"]
    search_fields = ["subject", "stage_label", "content_hash"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Vote)
class VoteAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    # Votes belong to readers: nobody browses them one by one (the scores page counts them).
    municipality_field = "subscriber__municipality"
    member_editor_actions = NONE
    member_viewer_actions = NONE
    list_display = ["stage_message", "helpful", "at"]

    def has_module_permission(self, request):
        return False
