"""Staff pages, included under /staff/ (namespace "staff")."""

from django.urls import path

from municipalities import views as municipality_views

from . import views

app_name = "staff"

urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("coverage/", views.coverage, name="coverage"),
    path(
        "municipalities/<int:pk>/",
        municipality_views.overview,
        name="municipality_overview",
    ),
]
