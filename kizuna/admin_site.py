"""The admin site: the project's own sections first, in the order staff work through them;
the libraries' sections (login attempts, one-time-password devices, Celery schedules) last and
only for superusers, who run the installation."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

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
