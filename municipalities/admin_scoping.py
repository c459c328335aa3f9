"""One mixin that scopes every admin class by role and municipality membership.

Each admin class declares who may do what; the mixin enforces it everywhere Django admin asks:
querysets (lists, search, autocomplete), object permissions (view, add, change, delete,
history), foreign-key choices and ``save_model``. An object outside the user's scope answers
404, whatever the URL; a page the user's role may not open answers 403.

Permissions come from roles (superuser, the national content editors and operators groups,
``StaffMembership`` editor/viewer), not from Django's per-model permissions, so that granting a
membership is all it takes to set up a municipality's staff.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .access import StaffRoles, readable_municipalities, roles_for_request
from .models import Municipality


class MemberMunicipalityFilter(admin.RelatedFieldListFilter):
    """A municipality filter that lists only the municipalities the user may read: a member of
    one town does not see the names of every other tenant in the sidebar."""

    def field_choices(self, field, request, model_admin):
        readable = readable_municipalities(request).values("pk")
        return field.get_choices(
            include_blank=False,
            limit_choices_to={"pk__in": readable},
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = frozenset({VIEW, ADD, CHANGE, DELETE})
READ = frozenset({VIEW})
NONE: frozenset[str] = frozenset()


class MunicipalityScopedAdminMixin:
    """Put first in the bases: ``class XAdmin(MunicipalityScopedAdminMixin, admin.ModelAdmin)``."""

    #: Path from the model to its municipality ("municipality", "subscriber__municipality"),
    #: "id" for Municipality itself, None for national content without a municipality.
    municipality_field: str | None = "municipality"
    #: What a municipality's editors and viewers may do with their municipality's rows.
    member_editor_actions: frozenset[str] = ALL
    member_viewer_actions: frozenset[str] = READ
    #: What municipality staff may do with national rows (no municipality).
    member_national_actions: frozenset[str] = NONE
    #: What the national content editors group may do with national rows.
    content_editor_actions: frozenset[str] = NONE
    #: What operators may do with every row.
    operator_actions: frozenset[str] = NONE

    # Roles and actions ---------------------------------------------------------------------

    def staff_roles(self, request: HttpRequest) -> StaffRoles:
        return roles_for_request(request)

    def _has_national_rows(self) -> bool:
        if self.municipality_field is None:
            return True
        if "__" in self.municipality_field or self.municipality_field == "id":
            return False
        return self.model._meta.get_field(self.municipality_field).null

    def municipality_id_of(self, obj: Any) -> int | None:
        """The id of the municipality ``obj`` belongs to; None for national rows."""
        if self.municipality_field is None:
            return None
        if self.municipality_field == "id":
            return obj.pk
        *path, last = self.municipality_field.split("__")
        for name in path:
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id", None)

    def allowed_actions(self, request: HttpRequest, obj: Any = None) -> frozenset[str]:
        """What the user may do with ``obj``, or somewhere in this admin when ``obj`` is None."""
        roles = self.staff_roles(request)
        if roles.superuser:
            return ALL
        actions = set(self.operator_actions) if roles.operator else set()
        national_actions = set(self.content_editor_actions) if roles.content_editor else set()
        if roles.member:
            national_actions |= self.member_national_actions
        if obj is None:
            if self._has_national_rows():
                actions |= national_actions
            if self.municipality_field is not None:
                if roles.editor_of:
                    actions |= self.member_editor_actions
                if roles.viewer_of:
                    actions |= self.member_viewer_actions
            return frozenset(actions)
        municipality_id = self.municipality_id_of(obj)
        if municipality_id is None:
            actions |= national_actions
        elif municipality_id in roles.editor_of:
            actions |= self.member_editor_actions
        elif municipality_id in roles.viewer_of:
            actions |= self.member_viewer_actions
        return frozenset(actions)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(self.allowed_actions(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self.allowed_actions(request, obj) & {VIEW, CHANGE})

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return ADD in self.allowed_actions(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return CHANGE in self.allowed_actions(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return DELETE in self.allowed_actions(request, obj)

    # Querysets and objects -----------------------------------------------------------------

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Rows the user may at least read."""
        roles = self.staff_roles(request)
        if roles.superuser or (roles.operator and self.operator_actions):
            return queryset
        national = (roles.content_editor and self.content_editor_actions) or (
            roles.member and self.member_national_actions
        )
        if self.municipality_field is None:
            return queryset if national else queryset.none()
        readable = set()
        if self.member_editor_actions:
            readable |= roles.editor_of
        if self.member_viewer_actions:
            readable |= roles.viewer_of - roles.editor_of
        condition = Q(**{f"{self.municipality_field}__in": readable})
        if national and self._has_national_rows():
            condition |= Q(**{f"{self.municipality_field}__isnull": True})
        return queryset.filter(condition)

    def editable_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Rows among ``queryset`` the user may change (used by bulk actions)."""
        return queryset.filter(
            pk__in=[obj.pk for obj in queryset if self.has_change_permission(request, obj)]
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_list_filter(self, request: HttpRequest):
        """Every filter by municipality lists only the user's municipalities."""
        filters = []
        for entry in super().get_list_filter(request):
            name = entry[0] if isinstance(entry, tuple | list) else entry
            if isinstance(name, str) and name.split("__")[-1] == "municipality":
                entry = (name, MemberMunicipalityFilter)
            filters.append(entry)
        return filters

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Django admin would redirect with "doesn't exist"; outside the user's municipalities
            # it must not even say whether the object exists.
            raise Http404(_("見つかりません。"))
        return obj

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        if not self.staff_roles(request).superuser:
            self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ) -> HttpResponse:
        """A past version (django-simple-history): reading needs view, reverting needs change."""
        obj = self.get_object(request, unquote(object_id))
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # Forms ---------------------------------------------------------------------------------

    def _national_allowed(self, roles: StaffRoles) -> bool:
        return self._has_national_rows() and (
            (roles.content_editor and ADD in self.content_editor_actions)
            or (roles.member and ADD in self.member_national_actions)
        )

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        roles = self.staff_roles(request)
        if db_field.related_model is Municipality and not roles.superuser:
            kwargs["queryset"] = Municipality.objects.filter(pk__in=roles.editor_of)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            if field is not None and db_field.name == self.municipality_field:
                field.required = not self._national_allowed(roles)
                if field.required and len(roles.editor_of) == 1:
                    field.initial = next(iter(roles.editor_of))
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form, change: bool) -> None:
        roles = self.staff_roles(request)
        field = self.municipality_field
        if not roles.superuser and field and "__" not in field and field != "id":
            attname = f"{field}_id"
            chosen = getattr(obj, attname)
            if chosen is None and self._national_allowed(roles):
                pass
            elif chosen not in roles.editor_of:
                if len(roles.editor_of) != 1:
                    raise PermissionDenied
                setattr(obj, attname, next(iter(roles.editor_of)))
        super().save_model(request, obj, form, change)


class MunicipalityInlineScopingMixin:
    """Inlines on the Municipality page: its editors edit them, its viewers read them."""

    superuser_only = False

    def _inline_actions(self, request: HttpRequest, obj: Any) -> frozenset[str]:
        roles = roles_for_request(request)
        if roles.superuser:
            return ALL
        if self.superuser_only or obj is None:
            return NONE
        if obj.pk in roles.editor_of:
            return ALL
        if obj.pk in roles.viewer_of:
            return READ
        return NONE

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(self._inline_actions(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return ADD in self._inline_actions(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return CHANGE in self._inline_actions(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return DELETE in self._inline_actions(request, obj)


class OperatorRecordAdminMixin:
    """A record nobody may alter (operator actions, the audit trail): operators and superusers
    read it; the admin offers no add, change, delete or bulk action, to anyone."""

    def _operator(self, request: HttpRequest) -> bool:
        roles = roles_for_request(request)
        return roles.superuser or roles.operator

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._operator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}


def publish_actions() -> list:
    """Admin actions 「公開する」 and 「下書きに戻す」, applied only to rows the user may change."""

    @admin.action(description=_("選択したものを公開する"), permissions=["change"])
    def publish(modeladmin, request, queryset):
        count = _set_published(modeladmin, request, queryset, True)
        modeladmin.message_user(request, _("%(count)d件を公開しました。") % {"count": count})

    @admin.action(description=_("選択したものを下書きに戻す"), permissions=["change"])
    def unpublish(modeladmin, request, queryset):
        count = _set_published(modeladmin, request, queryset, False)
        modeladmin.message_user(request, _("%(count)d件を下書きに戻しました。") % {"count": count})

    return [publish, unpublish]


def _set_published(modeladmin, request: HttpRequest, queryset: QuerySet, value: bool) -> int:
    # One save per row rather than QuerySet.update(), so that history records who did it.
    count = 0
    for obj in modeladmin.editable_queryset(request, queryset):
        if obj.published != value:
            obj.published = value
            obj._history_user = request.user
            obj.save(update_fields=["published", "updated_at"])
            count += 1
    return count
