from django.urls import path

from . import esp_webhooks, views

app_name = "delivery"

urlpatterns = [
    path("webhooks/line/<slug:slug>/", views.line_webhook, name="line_webhook"),
    # Only tracking: Kizuna receives no mail. Mandrill has one combined endpoint.
    path(
        "webhooks/anymail/<slug:esp>/tracking/",
        esp_webhooks.tracking_webhook,
        name="esp_tracking_webhook",
    ),
    path(
        "webhooks/anymail/mandrill/",
        esp_webhooks.tracking_webhook,
        {"esp": "mandrill"},
        name="mandrill_webhook",
    ),
]
