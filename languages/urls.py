from django.urls import path

from . import views

app_name = "languages"

urlpatterns = [
    path("m/<slug:slug>/language/", views.switch, name="switch"),
    path("staff/languages/", views.readers, name="readers"),
]
