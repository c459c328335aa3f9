"""Included under /staff/adoption/."""

from django.urls import path

from . import views

app_name = "adoption"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:municipality_pk>/import/", views.upload, name="upload"),
    path("<int:municipality_pk>/export/", views.export, name="export"),
    path("<int:municipality_pk>/flyer.<slug:kind>", views.flyer_file, name="flyer"),
    path("<int:municipality_pk>/moves/", views.channel_moves, name="moves"),
    path("imports/<int:pk>/", views.batch_detail, name="batch"),
    path("imports/<int:pk>/confirm/", views.batch_confirm, name="confirm"),
    path("imports/<int:pk>/discard/", views.batch_discard, name="discard"),
]
