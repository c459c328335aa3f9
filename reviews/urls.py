from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("staff/reviews/", views.queue, name="queue"),
    path("staff/reviews/<int:pk>/", views.version, name="version"),
    path("staff/reviews/packet.pdf", views.packet, name="packet"),
    path("staff/reviews/decisions.xlsx", views.export_sheet, name="export"),
    path("staff/reviews/import/", views.import_sheet, name="import"),
    path("staff/reviews/scores/", views.scores, name="scores"),
    path("feedback/<str:token>/", views.feedback, name="feedback"),
]
