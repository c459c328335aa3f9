from django.contrib import admin

from municipalities.admin_scoping import MunicipalityScopedAdminMixin

from . import events
from .models import Child, Subscriber, Subscription


class PersonalDataAdminMixin(MunicipalityScopedAdminMixin):
    """Readers' addresses, due dates and LINE ids: superusers only, never municipality staff.

    Municipalities see their families as counts on the overview page (/staff/municipalities/…).
    """

    member_editor_actions = frozenset()
    member_viewer_actions = frozenset()


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    raw_id_fields = ["child", "subscriber"]


@admin.register(Subscriber)
class SubscriberAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "municipality",
        "relationship",
        "channel",
        "language",
        "source",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["municipality", "relationship", "channel", "language", "source"]
    search_fields = ["email", "line_user_id", "nickname"]
    date_hierarchy = "created_at"
    list_select_related = ["municipality"]
    inlines = [SubscriptionInline]
    readonly_fields = ["created_at", "updated_at", "erased_at"]


@admin.register(Child)
class ChildAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    list_display = ["id", "municipality", "status", "due_date", "birth_date", "created_at"]
    list_filter = ["municipality", "status", "loss"]
    date_hierarchy = "created_at"
    list_select_related = ["municipality"]
    inlines = [SubscriptionInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change:
            for anchor in ("due_date", "birth_date"):
                if anchor in form.changed_data:
                    events.child_dates_moved.send(
                        sender=Child,
                        child=obj,
                        old_anchor=form.initial.get(anchor),
                        new_anchor=getattr(obj, anchor),
                    )


@admin.register(Subscription)
class SubscriptionAdmin(PersonalDataAdminMixin, admin.ModelAdmin):
    municipality_field = "subscriber__municipality"

    list_display = ["id", "subscriber", "child", "created_at", "ended_at"]
    list_filter = ["subscriber__municipality"]
    search_fields = ["subscriber__email", "subscriber__nickname"]
    raw_id_fields = ["subscriber", "child"]
