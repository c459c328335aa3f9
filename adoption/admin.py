"""Records of adopting Kizuna in the admin: read-only, scoped to the municipality's editors.

Imports, exports and moves are done on the staff pages (/staff/adoption/); the admin keeps the
record of who did what. Rows naming readers (import rows, imported readers, link codes and
address requests) are left out: municipality staff see no personal data in the admin.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from municipalities.admin_scoping import NONE, READ, MunicipalityScopedAdminMixin

from .models import ChannelMove, ExportLog, ImportBatch


class RecordAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    """A record that must not change: its editors and operators read it, nobody edits it."""

    member_editor_actions = READ
    member_viewer_actions = NONE
    operator_actions = READ
    list_select_related = ["municipality"]


@admin.register(ImportBatch)
class ImportBatchAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "municipality",
        "file_name",
        "source_name",
        "status",
        "counts",
        "page_link",
    ]
    list_filter = ["status"]
    search_fields = ["file_name", "source_name"]
    date_hierarchy = "created_at"
    exclude = ["file"]

    @admin.display(description=_("件数"))
    def counts(self, batch: ImportBatch) -> str:
        # One column rather than four: the list keeps every column on a 13-inch laptop.
        return _(
            "新規 %(create)s　家族に追加 %(merge)s　不可 %(reject)s　取り込み済み %(done)s"
        ) % {
            "create": batch.to_create,
            "merge": batch.to_merge,
            "reject": batch.rejected,
            "done": batch.imported,
        }

    @admin.display(description=_("取り込みのページ"))
    def page_link(self, batch: ImportBatch) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("adoption:batch", args=[batch.pk]), _("開く")
        )


@admin.register(ExportLog)
class ExportLogAdmin(RecordAdmin):
    list_display = ["created_at", "municipality", "user", "rows"]
    date_hierarchy = "created_at"
    list_select_related = ["municipality", "user"]


@admin.register(ChannelMove)
class ChannelMoveAdmin(RecordAdmin):
    list_display = ["created_at", "municipality", "direction", "created_by", "invited"]
    list_filter = ["direction"]
    date_hierarchy = "created_at"
    list_select_related = ["municipality", "created_by"]
