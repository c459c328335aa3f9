from django.contrib import admin

from municipalities.admin_scoping import ALL, MunicipalityScopedAdminMixin

from .models import MunicipalityLanguages


@admin.register(MunicipalityLanguages)
class MunicipalityLanguagesAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin):
    member_editor_actions = ALL
    list_display = ["municipality", "offered", "updated_at"]
    list_select_related = ["municipality"]
    search_fields = ["municipality__name"]
