from django.urls import path

from . import views

app_name = "vaccinations"

urlpatterns = [
    path("vaccinations/", views.schedule_page, name="schedule"),
    path("vaccinations/record/", views.record, name="record"),
    path("vaccinations/remove/", views.remove, name="remove"),
    path("vaccinations/calendar/<str:token>.ics", views.calendar_file, name="calendar"),
    path("vaccinations/<str:token>/", views.schedule_page, name="schedule_token"),
    path("vaccinations/<str:token>/record/", views.record),
    path("vaccinations/<str:token>/remove/", views.remove),
    path("staff/vaccinations/", views.staff_index, name="staff_index"),
    path("staff/vaccinations/<int:pk>/", views.staff_coverage, name="staff_coverage"),
    path(
        "staff/vaccinations/<int:pk>/coverage.csv",
        views.staff_coverage_csv,
        name="staff_coverage_csv",
    ),
]
