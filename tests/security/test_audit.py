"""The audit trail: a row for each action, no personal data in it, no way to change it."""

import datetime

import pytest
from django.test import Client

from audit import services
from audit.models import AuditEvent
from kizuna import clock
from municipalities.models import OPERATORS_GROUP, StaffMembership
from tests.content.factories import LocalNoticeFactory
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db
EMAIL = "hanako.private@example.jp"


@pytest.fixture
def place():
    municipality = MunicipalityFactory(name="あおば市")
    subscription = SubscriptionFactory(
        subscriber__municipality=municipality, subscriber__email=EMAIL
    )
    editor = make_user("aoba-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    return municipality, subscription, editor


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def events(action):
    return list(
        AuditEvent.objects.filter(action=action).values_list("username", "target", "target_id")
    )


def test_viewing_a_readers_page_is_recorded_without_the_data(place):
    _municipality, subscription, _editor = place
    admin = client_for(make_user("root", is_superuser=True))
    subscriber = subscription.subscriber
    assert admin.get(f"/admin/subscribers/subscriber/{subscriber.pk}/change/").status_code == 200
    assert admin.get("/admin/subscribers/subscriber/").status_code == 200
    assert admin.get(f"/admin/subscribers/child/{subscription.child_id}/change/").status_code == 200
    assert events("view") == [
        ("root", "subscribers.child", str(subscription.child_id)),
        ("root", "subscribers.subscriber", ""),
        ("root", "subscribers.subscriber", str(subscriber.pk)),
    ]
    event = AuditEvent.objects.filter(action="view").first()
    assert event.ip == "127.0.0.1" and event.path.startswith("/admin/subscribers/")
    every_value = str(list(AuditEvent.objects.values()))
    assert EMAIL not in every_value and "hanako" not in every_value


def test_exports_changes_and_operator_controls_are_recorded(place):
    municipality, _subscription, editor = place
    notice = LocalNoticeFactory(municipality=municipality)
    client = client_for(editor)
    assert client.get(f"/staff/adoption/{municipality.pk}/export/").status_code == 200
    refused = client.post(f"/admin/content/localnotice/{notice.pk}/change/", {"title": ""})
    assert refused.status_code == 200  # a form with errors changes nothing: no record
    deleted = client.post(f"/admin/content/localnotice/{notice.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert events("export") == [("aoba-editor", "adoption.readers", str(municipality.pk))]
    assert events("change") == [("aoba-editor", "admin:content_localnotice_delete", str(notice.pk))]

    operator = client_for(make_user("operator", groups=[OPERATORS_GROUP]))
    operator.post(f"/ops/municipalities/{municipality.pk}/pause/")
    assert events("operator") == [("operator", "operations:pause", str(municipality.pk))]
    operator.get("/ops/audit.csv")
    assert ("operator", "audit.events", "") in events("export")


def test_logins_and_failures_are_recorded():
    user = make_user("taro")
    user.set_password("a long enough passphrase")
    user.save()
    Client().post("/admin/login/", {"username": "taro", "password": "wrong"})
    Client().post("/admin/login/", {"username": "taro", "password": "a long enough passphrase"})
    assert events("login_failed") == [("taro", "", "")]
    assert events("login") == [("taro", "", "")]
    failed = AuditEvent.objects.get(action="login_failed")
    assert "wrong" not in str(failed.detail)


def test_the_trail_cannot_be_changed_or_deleted(place):
    operator = client_for(make_user("operator", groups=[OPERATORS_GROUP]))
    superuser = client_for(make_user("root", is_superuser=True))
    event = services.record("view", username="someone", target="subscribers.subscriber")
    for client in (operator, superuser):
        assert client.get("/admin/audit/auditevent/").status_code == 200
        page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
        assert client.get("/admin/audit/auditevent/add/").status_code == 403
        assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
        changelist = client.get("/admin/audit/auditevent/").content.decode()
        assert 'name="action"' not in changelist  # no bulk delete
    assert client_for(place[2]).get("/admin/audit/auditevent/").status_code == 403
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(username="x")
    assert AuditEvent.objects.get(pk=event.pk).username == "someone"


def test_operators_search_and_export_the_trail():
    operator = client_for(make_user("operator", groups=[OPERATORS_GROUP]))
    services.record("view", username="aoba-editor", target="subscribers.subscriber", target_id=7)
    services.record("login", username="midori-editor")
    page = operator.get("/ops/audit/", {"username": "aoba"}).content.decode()
    assert "読者（ID 7）を閲覧" in page and "midori-editor" not in page
    bad = operator.get("/ops/audit/", {"since": "yesterday"}).content.decode()
    assert "日付は YYYY-MM-DD の形で" in bad
    csv = operator.get("/ops/audit.csv", {"action": "view"}).content.decode("utf-8")
    assert csv.startswith("\ufeff日時,ユーザー名,操作")
    assert "aoba-editor,個人情報の閲覧,読者（ID 7）を閲覧,subscribers.subscriber,7" in csv
    assert "midori-editor" not in csv
    assert client_for(make_user("viewer")).get("/ops/audit/").status_code == 403


def test_the_daily_task_prunes_only_what_is_past_retention(settings):
    from audit.tasks import prune_audit_trail

    settings.KIZUNA_AUDIT_RETENTION_DAYS = 1826
    old = services.record("login", username="old")
    recent = services.record("login", username="recent")
    AuditEvent.objects.filter(pk=old.pk).delete()  # queryset delete is the pruning path only
    kept = AuditEvent.objects.create(username="five-years-ago", action="login")
    AuditEvent.objects.filter(pk=kept.pk).delete()
    aged = AuditEvent(username="aged", action="login")
    aged.save()
    # Backdate through SQL (the model refuses updates): one past retention, one inside it.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET at = %s WHERE id = %s",
            [clock.now() - datetime.timedelta(days=1827), aged.pk],
        )
        cursor.execute(
            "UPDATE audit_auditevent SET at = %s WHERE id = %s",
            [clock.now() - datetime.timedelta(days=1800), recent.pk],
        )
    assert prune_audit_trail() == 1
    assert list(AuditEvent.objects.values_list("username", flat=True)) == ["recent"]
