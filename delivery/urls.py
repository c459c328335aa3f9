from django.urls import include, path

from . import views

app_name = "delivery"

urlpatterns = [
    path("webhooks/line/<slug:slug>/", views.line_webhook, name="line_webhook"),
    path("webhooks/anymail/", include("anymail.urls")),
]
