from django.contrib import admin

from municipalities.access import roles_of

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for operators and superusers; nobody adds, changes or deletes an event."""

    list_display = ["at", "username", "action", "target", "target_id", "ip"]
    list_filter = ["action", "at"]
    search_fields = ["username", "target", "target_id", "ip"]
    date_hierarchy = "at"
    show_full_result_count = False

    def _operator(self, request) -> bool:
        roles = roles_of(request.user)
        return roles.superuser or roles.operator

    def has_view_permission(self, request, obj=None) -> bool:
        return self._operator(request)

    def has_module_permission(self, request) -> bool:
        return self._operator(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        return {}
