"""Reader, public and staff pages of surveys (namespace "surveys")."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("survey/<str:token>/", views.answer, name="answer"),
    path("survey/<str:token>/thanks/", views.thanks, name="thanks"),
    path("m/<slug:slug>/surveys/", views.public_results, name="public_results"),
    path("m/<slug:slug>/surveys/<int:pk>/", views.public_result, name="public_result"),
    path("staff/surveys/", views.staff_list, name="staff_list"),
    path("staff/surveys/<int:pk>/", views.staff_preview, name="staff_preview"),
    path("staff/surveys/<int:pk>/send/", views.staff_send, name="staff_send"),
    path("staff/surveys/<int:pk>/results/", views.staff_results, name="staff_results"),
    path(
        "staff/surveys/<int:pk>/responses.csv",
        views.staff_responses_csv,
        name="staff_responses_csv",
    ),
    path("staff/surveys/<int:pk>/summary.csv", views.staff_summary_csv, name="staff_summary_csv"),
]
