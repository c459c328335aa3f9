"""Who a staff user is: superuser, national content editor, operator, or a municipality's
editor, viewer or health staff (保健師). Read once per request; the admin mixin and the staff pages both ask here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from .models import CONTENT_EDITORS_GROUP, OPERATORS_GROUP, Municipality, StaffMembership


@dataclass(frozen=True)
class StaffRoles:
    superuser: bool = False
    content_editor: bool = False  # auth Group 「全国コンテンツ編集者」
    operator: bool = False  # auth Group 「オペレーター」
    editor_of: frozenset[int] = frozenset()  # municipalities whose settings and notices they edit
    viewer_of: frozenset[int] = frozenset()  # municipalities they may read (editors included)
    health_of: frozenset[int] = frozenset()  # municipalities whose follow-up cases they handle

    @property
    def member(self) -> bool:
        return bool(self.viewer_of)

    @property
    def any_role(self) -> bool:
        return self.superuser or self.content_editor or self.operator or self.member


NO_ROLES = StaffRoles()


def roles_of(user) -> StaffRoles:
    """The roles of ``user``; none at all unless the account is active staff."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.is_staff:
        return NO_ROLES
    if user.is_superuser:
        return StaffRoles(superuser=True)
    groups = set(user.groups.values_list("name", flat=True))
    editor_of, viewer_of, health_of = set(), set(), set()
    for municipality_id, role in StaffMembership.objects.filter(user=user).values_list(
        "municipality_id", "role"
    ):
        viewer_of.add(municipality_id)
        if role == StaffMembership.Role.EDITOR:
            editor_of.add(municipality_id)
        elif role == StaffMembership.Role.HEALTH:
            health_of.add(municipality_id)
    return StaffRoles(
        content_editor=CONTENT_EDITORS_GROUP in groups,
        operator=OPERATORS_GROUP in groups,
        editor_of=frozenset(editor_of),
        viewer_of=frozenset(viewer_of),
        health_of=frozenset(health_of),
    )


def roles_for_request(request: HttpRequest) -> StaffRoles:
    """:func:`roles_of` for the request's user, looked up once per request."""
    roles = getattr(request, "_kizuna_staff_roles", None)
    if roles is None:
        roles = roles_of(request.user)
        request._kizuna_staff_roles = roles
    return roles


def readable_municipalities(request: HttpRequest):
    """Municipalities whose settings, notices and family counts the user may see."""
    roles = roles_for_request(request)
    if not roles.any_role:
        return Municipality.objects.none()
    # Municipality.objects.for_user, from the roles already read (no second look at the groups).
    if roles.superuser or roles.operator:
        return Municipality.objects.all()
    return Municipality.objects.filter(pk__in=roles.viewer_of)


def previewable_municipalities(request: HttpRequest):
    """Municipalities the user may preview messages for: national editors preview any of them."""
    roles = roles_for_request(request)
    if roles.content_editor:
        return Municipality.objects.all()
    return readable_municipalities(request)
