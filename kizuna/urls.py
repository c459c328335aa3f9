from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from operations import views as operations_views

from . import views

admin.site.site_header = "Kizuna 管理画面"
admin.site.site_title = "Kizuna"
admin.site.index_title = "管理メニュー"

urlpatterns = [
    path("", views.home, name="home"),
    path(settings.KIZUNA_ADMIN_PATH, admin.site.urls),
    path("account/", include("accounts.urls")),
    path("staff/urgent/", include("urgent_notices.urls")),
    path("staff/adoption/", include("adoption.urls")),
    path("staff/", include("kizuna.staff_urls")),
    path("ops/", include("operations.urls")),
    path("healthz", operations_views.healthz, name="healthz"),
    path("", include("surveys.urls")),
    path("", include("subscribers.urls")),
    path("", include("adoption.parent_urls")),
    path("", include("delivery.urls")),
]
