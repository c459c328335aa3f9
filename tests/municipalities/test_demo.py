import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from municipalities.models import Municipality
from subscribers.models import Child, Subscriber
from surveys.models import Answer, Response, Survey

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
