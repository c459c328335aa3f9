"""Included under /staff/urgent/."""

from django.urls import path

from . import views

app_name = "urgent_notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("new/<int:municipality_pk>/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
