from django.urls import path

from . import views

app_name = "subscribers"

urlpatterns = [
    path("m/<slug:slug>/", views.landing, name="landing"),
    path("m/<slug:slug>/sent/", views.sent, name="sent"),
    path("m/<slug:slug>/line/<str:token>/", views.line_signup, name="line_signup"),
    path("m/<slug:slug>/privacy/", views.privacy, name="privacy"),
    path("m/<slug:slug>/manage/", views.request_manage_link, name="request_manage_link"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    # The manage pages, without the token once it has been exchanged for a session ...
    path("manage/", views.manage, name="manage_home"),
    path("manage/settings/", views.update_settings, name="settings"),
    path("manage/children/", views.add_child, name="add_child"),
    path("manage/children/<int:child_id>/birth/", views.report_birth, name="birth"),
    path(
        "manage/children/<int:child_id>/invite/",
        views.create_invitation,
        name="create_invitation",
    ),
    path("manage/children/<int:child_id>/loss/", views.report_loss, name="loss"),
    path("manage/leave/", views.leave, name="leave"),
    path("manage/rejoin/", views.rejoin, name="rejoin"),
    path("manage/data/", views.download_data, name="data"),
    path("manage/data/readable/", views.download_data_readable, name="data_readable"),
    # ... and with it: the link in a mail (and forms of pages opened before the exchange).
    path("manage/<str:token>/", views.manage, name="manage"),
    path("manage/<str:token>/settings/", views.update_settings),
    path("manage/<str:token>/children/", views.add_child),
    path("manage/<str:token>/children/<int:child_id>/birth/", views.report_birth),
    path("manage/<str:token>/children/<int:child_id>/invite/", views.create_invitation),
    path("manage/<str:token>/children/<int:child_id>/loss/", views.report_loss),
    path("manage/<str:token>/leave/", views.leave),
    path("manage/<str:token>/data/", views.download_data),
    path("manage/<str:token>/data/readable/", views.download_data_readable),
    path("invite/<str:token>/", views.accept_invitation, name="invite"),
    path("u/<str:token>/", views.one_click_unsubscribe, name="unsubscribe"),
]
