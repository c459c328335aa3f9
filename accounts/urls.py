from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("2fa/enrol/<str:token>/", views.enrol_with_link, name="enrol_with_link"),
]
