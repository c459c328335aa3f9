from django.urls import path

from . import views

app_name = "line_accounts"

urlpatterns = [
    path("preview/", views.line_preview, name="preview"),
]
