from django.contrib import admin

from municipalities.admin_scoping import ALL, MunicipalityScopedAdminMixin

from .models import LineAccountSettings


@admin.register(LineAccountSettings)
class LineAccountSettingsAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    member_editor_actions = ALL
    list_display = [
        "municipality",
        "flex_messages",
        "push_only",
        "token_kind",
        "stage_statistics",
        "updated_at",
    ]
    list_filter = ["flex_messages", "push_only", "token_kind", "stage_statistics"]
    list_select_related = ["municipality"]
    search_fields = ["municipality__name"]
