"""Included at the site root: staff pages under /staff/checkups/, the parents' calendar link."""

from django.urls import path

from . import views

app_name = "checkups"

urlpatterns = [
    path("staff/checkups/", views.session_list, name="sessions"),
    path("staff/checkups/sessions.csv", views.sessions_csv, name="sessions_csv"),
    path("staff/checkups/new/<int:municipality_pk>/", views.session_create, name="create"),
    path("staff/checkups/import/<int:municipality_pk>/", views.session_import, name="import"),
    path("staff/checkups/settings/<int:municipality_pk>/", views.settings_edit, name="settings"),
    path("staff/checkups/<int:pk>/edit/", views.session_edit, name="edit"),
    path("staff/checkups/<int:pk>/cancel/", views.session_cancel, name="cancel"),
    path("staff/checkups/<int:pk>/confirm/", views.session_confirm, name="confirm"),
    path("kenshin/calendar/<str:token>/", views.calendar, name="calendar"),
]
