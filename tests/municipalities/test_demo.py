import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from adoption.models import ImportBatch
from delivery.models import Delivery
from municipalities import access
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
    # An account for each staff role, its password printed and saved on this machine only.
    saved = dict(
        line.split("\t")
        for line in (tmp_path / "demo-accounts.txt").read_text().splitlines()
        if not line.startswith("#")
    )
    assert set(saved) == {
        "admin",
        "demo-editor",
        "demo-viewer",
        "demo-operator",
        "demo-content-editor",
        "demo-health",
    }
    assert oct((tmp_path / "demo-accounts.txt").stat().st_mode & 0o777) == "0o600"
    users = get_user_model().objects
    for username, password in saved.items():
        assert f"{username}" in first and password in first
        assert users.get(username=username).check_password(password)
    assert f"パスワードの保存先: {tmp_path / 'demo-accounts.txt'}" in first
    assert first.rstrip().splitlines()[-1].startswith("パスワードの保存先")
    roles = access.roles_of
    assert roles(users.get(username="admin")).superuser
    assert roles(users.get(username="demo-editor")).editor_of == {Municipality.objects.get().pk}
    viewer = roles(users.get(username="demo-viewer"))
    assert viewer.viewer_of == {Municipality.objects.get().pk} and not viewer.editor_of
    assert roles(users.get(username="demo-operator")).operator
    assert roles(users.get(username="demo-content-editor")).content_editor
    assert roles(users.get(username="demo-health")).health_of == {Municipality.objects.get().pk}
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


def test_the_demo_runs_the_daily_programme_so_tomorrow_differs_from_today(tmp_path, settings):
    from content.programme import FINEST, programme_from
    from content.services import load_pack
    from content.timeline import build_timeline
    from kizuna import clock
    from tests.content.daily_pack import write_daily_pack

    settings.VAR_DIR = tmp_path
    write_daily_pack(tmp_path / "pack")
    load_pack(root=tmp_path / "pack")
    call_command("load_demo")
    demo = Municipality.objects.get(slug="demo")
    assert programme_from(demo) == FINEST
    expecting = Child.objects.filter(municipality=demo, status="expecting").first()
    today = clock.today()
    timeline = build_timeline(demo, due_date=expecting.due_date, signup_on=today)
    by_day = {entry.on: entry for entry in timeline.entries if entry.kind == "stage"}
    tomorrow = today + datetime.timedelta(days=1)
    assert by_day[today].key != by_day[tomorrow].key
    assert by_day[today].text.body != by_day[tomorrow].text.body
