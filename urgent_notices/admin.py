"""Urgent notices in the admin: read-only, since writing, approving and sending go through the
staff pages (/staff/urgent/), where a second editor approves."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from municipalities.admin_scoping import READ, MunicipalityScopedAdminMixin

from .models import UrgentNotice


@admin.register(UrgentNotice)
class UrgentNoticeAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    member_editor_actions = READ
    member_viewer_actions = READ
    operator_actions = READ

    list_display = [
        "title",
        "municipality",
        "status",
        "audience",
        "send_at",
        "recipients",
        "created_by",
        "approved_by",
        "page_link",
    ]
    list_filter = ["status", "audience"]
    search_fields = ["title"]
    date_hierarchy = "created_at"
    list_select_related = ["municipality", "created_by", "approved_by"]

    @admin.display(description=_("お知らせのページ"))
    def page_link(self, notice: UrgentNotice) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("urgent_notices:detail", args=[notice.pk]), _("開く")
        )
