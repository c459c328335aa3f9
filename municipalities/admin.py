from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ConsultationContact, Municipality, StaffMembership


class ConsultationContactInline(admin.TabularInline):
    model = ConsultationContact
    extra = 0


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefecture",
        "code",
        "kind",
        "service_name",
        "delivery_time",
        "email_enabled",
        "line_enabled",
        "paused",
    ]
    list_filter = ["kind", "prefecture", "paused", "email_enabled", "line_enabled"]
    search_fields = ["name", "code", "service_name", "slug"]
    inlines = [ConsultationContactInline, StaffMembershipInline]
    fieldsets = [
        (None, {"fields": ["kind", "name", "prefecture", "code", "slug"]}),
        (_("読者に見える設定"), {"fields": ["service_name", "sender_name", "sender_email"]}),
        (
            _("配信"),
            {
                "fields": [
                    "delivery_time",
                    "programme_months",
                    "email_enabled",
                    "line_enabled",
                    "paused",
                ]
            },
        ),
    ]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "municipality", "role", "created_at"]
    list_filter = ["role", "municipality"]
    search_fields = ["user__username", "user__email", "municipality__name"]
    autocomplete_fields = ["user", "municipality"]


@admin.register(ConsultationContact)
class ConsultationContactAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "phone", "hours", "order"]
    list_filter = ["municipality"]
    search_fields = ["name", "phone", "municipality__name"]
