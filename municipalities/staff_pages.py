"""The frame of every staff page outside the admin: who may open it, and the admin's look.

Every app's staff views use these two, so their pages share one login, one role check and one
header and sidebar.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .access import roles_for_request

View = Callable[..., HttpResponse]


def staff_page(view: View) -> View:
    """Admin login for anyone; 403 for staff accounts without a role in Kizuna."""

    @wraps(view)
    @staff_member_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles_for_request(request).any_role:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def signed_in_user(request: HttpRequest) -> User:
    """The staff member signed in on a page behind a staff login (never anonymous there)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def staff_context(request: HttpRequest, title: str, **context: Any) -> dict[str, Any]:
    """The admin's own context (header, user links, sidebar), so staff pages look like the admin."""
    # Without the admin's model sidebar: previews need the width.
    return {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": title,
        **context,
    }
