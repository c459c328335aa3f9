from django.contrib import admin

from municipalities.access import roles_of

from .models import OperatorAction


@admin.register(OperatorAction)
class OperatorActionAdmin(admin.ModelAdmin):
    """A record, not a setting: operators read it; nobody adds, changes or deletes one."""

    list_display = ["at", "username", "kind", "municipality", "affected"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "municipality__name"]
    date_hierarchy = "at"
    list_select_related = ["municipality"]

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
