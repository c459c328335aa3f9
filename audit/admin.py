from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from municipalities.admin_scoping import OperatorRecordAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(OperatorRecordAdminMixin, admin.ModelAdmin):
    list_display = ["at", "username", "action", "what_happened", "ip"]
    list_filter = ["action", "at"]
    search_fields = ["username", "target", "target_id", "ip"]
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description=_("内容"))
    def what_happened(self, event: AuditEvent) -> str:
        return event.description
