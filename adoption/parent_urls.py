"""The parent's pages of a channel move, reached by the signed link in the announcement."""

from django.urls import path

from . import parent_views

app_name = "moves"

urlpatterns = [
    path("move/<str:token>/", parent_views.move_to_line, name="move_to_line"),
    path("move/<str:token>/email/", parent_views.move_to_email, name="move_to_email"),
    path("move-email/<str:token>/", parent_views.confirm_email, name="confirm_email"),
]
