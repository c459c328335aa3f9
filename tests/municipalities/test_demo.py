import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from adoption.models import ImportBatch
from delivery.models import Delivery
from municipalities.models import Municipality
from subscribers.models import Child, Subscriber
from surveys.models import Answer, Response, Survey
from urgent_notices.models import UrgentNotice

pytestmark = pytest.mark.django_db


def test_demo_data_is_idempotent_and_prints_the_login(capsys, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("load_demo")
    first = capsys.readouterr().out
    counts = (
        Municipality.objects.count(),
        Subscriber.objects.count(),
        Child.objects.count(),
        Survey.objects.count(),
        Response.objects.count(),
        Answer.objects.count(),
        ImportBatch.objects.count(),
        UrgentNotice.objects.count(),
        Delivery.objects.count(),
    )
    call_command("load_demo")
    second = capsys.readouterr().out

    assert first == second
    assert (
        Municipality.objects.count(),
        Subscriber.objects.count(),
        Child.objects.count(),
        Survey.objects.count(),
        Response.objects.count(),
        Answer.objects.count(),
        ImportBatch.objects.count(),
        UrgentNotice.objects.count(),
        Delivery.objects.count(),
    ) == counts
    # This year's survey is open and answered; last year's is closed and published.
    assert counts[3:5] == (2, 12)
    assert sum(survey.is_open for survey in Survey.objects.all()) == 1
    assert Municipality.objects.filter(slug="demo").exists()
    password = (tmp_path / "demo-admin-password").read_text().strip()
    assert f"パスワード: {password}" in first
    assert get_user_model().objects.get(username="admin").check_password(password)
    # The partner follows the same pregnancy as the mother.
    hana = Subscriber.objects.get(email="hana@demo.example.jp")
    partner = Subscriber.objects.get(email="hana-partner@demo.example.jp")
    assert list(hana.children.all()) == list(partner.children.all())

    # Adoption: a finished import with its readers; one urgent notice sent, one awaiting approval.
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.imported) == ("done", 3)
    imported = Subscriber.objects.filter(source="import")
    assert imported.count() == 3
    assert Subscriber.objects.get(email="kaede-partner@demo.example.jp").children.get() == (
        Subscriber.objects.get(email="kaede@demo.example.jp").children.get()
    )
    assert sorted(UrgentNotice.objects.values_list("status", flat=True)) == ["pending", "sent"]
    sent = UrgentNotice.objects.get(status="sent")
    assert sent.approved_by.username == "admin" and sent.recipients == Subscriber.objects.count()
    assert Delivery.objects.filter(message_key=f"urgent:{sent.pk}").count() == sent.recipients
