from typing import TYPE_CHECKING

from django.contrib import admin

from municipalities.admin_scoping import READ, MunicipalityScopedAdminMixin

from .models import Delivery

if TYPE_CHECKING:
    DeliveryModelAdmin = admin.ModelAdmin[Delivery]
else:  # ModelAdmin is generic only in django-stubs (django_stubs_ext is not installed to run)
    DeliveryModelAdmin = admin.ModelAdmin


@admin.register(Delivery)
class DeliveryAdmin(MunicipalityScopedAdminMixin, DeliveryModelAdmin):
    """Operators read every delivery; municipality staff never open it (it names readers)."""

    member_editor_actions = frozenset()
    member_viewer_actions = frozenset()
    operator_actions = READ

    list_display = [
        "id",
        "due_on",
        "municipality",
        "channel",
        "message_key",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "channel", "due_on", "municipality"]
    search_fields = ["message_key", "last_error", "provider_message_id"]
    date_hierarchy = "due_on"
    list_select_related = ["municipality"]
    raw_id_fields = ["subscriber", "child", "stage_message", "special_message", "birthday_message"]
    readonly_fields = ["planned_at", "sent_at", "claimed_until"]
    show_full_result_count = False
