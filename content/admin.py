from django.contrib import admin

from .models import BirthdayMessage, LocalNotice, SpecialMessage, StageMessage


@admin.register(StageMessage)
class StageMessageAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "track",
        "unit",
        "number",
        "audience",
        "language",
        "published",
        "needs_medical_review",
    ]
    list_filter = ["track", "unit", "audience", "language", "published", "needs_medical_review"]
    search_fields = ["subject", "body"]
    readonly_fields = ["source_path", "updated_at"]


@admin.register(SpecialMessage)
class SpecialMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "audience", "language", "published", "needs_medical_review"]
    list_filter = ["kind", "audience", "language", "published"]
    search_fields = ["subject", "body"]
    readonly_fields = ["source_path", "updated_at"]


@admin.register(BirthdayMessage)
class BirthdayMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "municipality", "age_years", "language", "published"]
    list_filter = ["age_years", "language", "published", "municipality"]
    search_fields = ["subject", "body"]


@admin.register(LocalNotice)
class LocalNoticeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "municipality",
        "track",
        "unit",
        "number_from",
        "number_to",
        "starts_on",
        "ends_on",
        "channels",
        "published",
    ]
    list_filter = ["municipality", "track", "unit", "channels", "published"]
    search_fields = ["title", "body"]
