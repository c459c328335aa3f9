from django.contrib import admin

from municipalities.admin_scoping import OperatorRecordAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(OperatorRecordAdminMixin, admin.ModelAdmin):
    list_display = ["at", "username", "action", "target", "target_id", "ip"]
    list_filter = ["action", "at"]
    search_fields = ["username", "target", "target_id", "ip"]
    date_hierarchy = "at"
    show_full_result_count = False
