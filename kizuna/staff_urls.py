"""Staff pages of several apps, included under /staff/ (namespace "staff")."""

from django.urls import path

from content import views
from subscribers import staff_views

app_name = "staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("coverage/", views.coverage, name="coverage"),
    path(
        "municipalities/<int:pk>/",
        staff_views.overview,
        name="municipality_overview",
    ),
]
