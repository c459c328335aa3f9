from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from operations import views as operations_views

from . import dev_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path(settings.KIZUNA_ADMIN_PATH, admin.site.urls),
    path("account/", include("accounts.urls")),
    path("staff/urgent/", include("urgent_notices.urls")),
    path("staff/adoption/", include("adoption.urls")),
    path("staff/reports/", include("reports.urls")),
    path("", include("reviews.urls")),
    path("staff/line/", include("line_accounts.urls")),
    path("", include("languages.urls")),
    path("staff/", include("kizuna.staff_urls")),
    path("ops/", include("operations.urls")),
    path("healthz", operations_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (a PDF, a download).
    path("favicon.ico", views.favicon, name="favicon"),
    # The local mailbox of `make run`: answers 404 unless DEBUG is on.
    path("dev/mailbox/", dev_views.mailbox_list, name="dev_mailbox"),
    path("dev/mailbox/<str:name>/", dev_views.mailbox_message, name="dev_mailbox_message"),
    path("dev/mailbox/<str:name>/html/", dev_views.mailbox_html, name="dev_mailbox_html"),
    path("", include("followups.urls")),
    path("", include("surveys.urls")),
    path("", include("subscribers.urls")),
    path("", include("adoption.parent_urls")),
    path("", include("delivery.urls")),
    path("", include("checkups.urls")),
    path("", include("vaccinations.urls")),
]

handler400 = "kizuna.errors.bad_request"
handler403 = "kizuna.errors.permission_denied"
handler404 = "kizuna.errors.page_not_found"
handler500 = "kizuna.errors.server_error"
