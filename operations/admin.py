from django.contrib import admin

from municipalities.admin_scoping import OperatorRecordAdminMixin

from .models import OperatorAction


@admin.register(OperatorAction)
class OperatorActionAdmin(OperatorRecordAdminMixin, admin.ModelAdmin):
    list_display = ["at", "username", "kind", "municipality", "affected"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "municipality__name"]
    date_hierarchy = "at"
    list_select_related = ["municipality"]
