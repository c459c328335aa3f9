"""The audit trail says what happened in words staff read, not model labels or URL names."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from audit.models import AuditEvent
from audit.wording import describe
from municipalities.models import OPERATORS_GROUP

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("action", "target", "target_id", "words"),
    [
        ("view", "subscribers.subscriber", "12", "読者（ID 12）を閲覧"),
        ("view", "subscribers.subscriber", "", "読者の一覧を閲覧"),
        ("view", "delivery.delivery", "", "配信の一覧を閲覧"),
        ("change", "admin:content_localnotice_change", "5", "地域のお知らせ（ID 5）を変更"),
        ("change", "admin:content_localnotice_add", "", "地域のお知らせを追加"),
        ("change", "admin:subscribers_subscriber_delete", "3", "読者（ID 3）を削除"),
        ("operator", "operations:pause", "2", "配信の一時停止（ID 2）"),
        ("export", "surveys.responses", "4", "アンケートの回答（ID 4）を書き出し"),
        ("login", "", "", ""),
    ],
)
def test_each_kind_of_event_reads_as_a_sentence(action, target, target_id, words):
    label = AuditEvent.Action(action).label
    assert describe(action, label, target, target_id) == words


def test_signing_in_through_the_admin_is_one_login_in_words():
    user = get_user_model().objects.create_user("ops-person", password="a-long-password-123")
    user.is_staff = True
    user.save()
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get_or_create(name=OPERATORS_GROUP)[0])
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops-person", "password": "a-long-password-123", "next": "/admin/"},
    )
    assert response.status_code == 302
    events = list(AuditEvent.objects.filter(username="ops-person"))
    assert [event.action for event in events] == ["login"]
    reader = Client()
    reader.force_login(user)  # with the second factor, which the dashboard asks for
    page = reader.get("/ops/audit/").content.decode()
    assert "admin:login" not in page
    assert "<td>ログイン</td><td>—</td>" in page
