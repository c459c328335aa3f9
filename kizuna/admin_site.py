"""The admin site: the project's own sections first, in the order staff work through them;
the libraries' sections (login attempts, one-time-password devices, Celery schedules) last and
only for superusers, who run the installation."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

# Sections in the order staff meet them: what parents receive, who receives it, then operations.
APP_ORDER = [
    "content",
    "reviews",
    "municipalities",
    "subscribers",
    "surveys",
    "followups",
    "urgent_notices",
    "adoption",
    "line_accounts",
    "languages",
    "delivery",
    "operations",
    "audit",
    "auth",
]
# Machinery of the libraries Kizuna runs on: kept out of municipal staff's way.
SYSTEM_APPS = ["django_celery_beat", "axes", "otp_totp", "otp_static"]


class KizunaAdminSite(admin.AdminSite):
    site_header = "Kizuna 管理画面"
    site_title = "Kizuna"
    index_title = "管理メニュー"
    # The section list beside every page leaves a list 300 px less on a 13-inch laptop; the
    # home page and the breadcrumbs lead to every section instead.
    enable_nav_sidebar = False

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        apps = super().get_app_list(request, app_label)
        if not request.user.is_superuser:
            apps = [app for app in apps if app["app_label"] not in SYSTEM_APPS]
        order = APP_ORDER + SYSTEM_APPS
        return sorted(
            apps, key=lambda app: order.index(app["app_label"]) if app["app_label"] in order else 99
        )

    def each_context(self, request: HttpRequest) -> dict:
        """Django's, but the section list (``available_apps``) is worked out only when a
        template reads it: it feeds only the sidebar, which is off, and costs every admin and
        staff page the user's permissions (two queries) and a walk through every model.

        A copy of Django 5.2's keys: tests/staff/test_admin_context.py fails when an upgrade
        changes them."""
        if self.enable_nav_sidebar:
            return super().each_context(request)
        script_name = request.META["SCRIPT_NAME"]
        site_url = script_name if self.site_url == "/" and script_name else self.site_url
        return {
            "site_title": self.site_title,
            "site_header": self.site_header,
            "site_url": site_url,
            "has_permission": self.has_permission(request),
            "available_apps": SimpleLazyObject(lambda: self.get_app_list(request)),
            "is_popup": False,
            "is_nav_sidebar_enabled": self.enable_nav_sidebar,
            "log_entries": self.get_log_entries(request),
        }
