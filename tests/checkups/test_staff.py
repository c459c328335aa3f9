"""Staff pages: sessions scoped to the municipality, counts with small figures hidden, CSV
export, entry and the CSV/Excel import (row errors in Japanese, nothing written if any row is
bad, a preview first)."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.test import Client

from audit.models import AuditEvent
from checkups import services
from checkups.models import CheckupSettings, Session, SessionChange
from delivery.models import Delivery
from kizuna import clock
from municipalities.models import StaffMembership
from tests.delivery.conftest import family
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=clock.TOKYO)
HEADER = "健診,日付,開始時刻,会場,生年月日から,生年月日まで,定員\r\n"


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def towns():
    own = MunicipalityFactory(name="あおば市", sender_email="kenshin@city.aoba.example.jp")
    other = MunicipalityFactory(name="みどり町")
    editor, viewer, stranger = (
        make_user("aoba-editor"),
        make_user("aoba-viewer"),
        make_user("midori"),
    )
    StaffMembership.objects.create(user=editor, municipality=own, role="editor")
    StaffMembership.objects.create(user=viewer, municipality=own, role="viewer")
    StaffMembership.objects.create(user=stranger, municipality=other, role="editor")
    return own, other, {"editor": editor, "viewer": viewer, "stranger": stranger}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _session(municipality, **changes):
    data = {
        "check_number": 2,
        "held_on": datetime.date(2026, 12, 8),
        "starts_at": datetime.time(13, 30),
        "venue": "保健センター",
        "born_from": datetime.date(2026, 8, 1),
        "born_until": datetime.date(2026, 8, 31),
        "capacity": 30,
    } | changes
    return services.create_session(
        municipality_id=municipality.pk, data=services.SessionData(**data), by=None
    )


def test_staff_see_only_their_municipality_and_others_get_404_or_403(towns):
    own, other, users = towns
    mine, theirs = _session(own, venue="あおば保健センター"), _session(other, venue="みどり会館")
    page = _client(users["editor"]).get("/staff/checkups/")
    assert page.status_code == 200
    assert "あおば保健センター" in page.text and "みどり会館" not in page.text

    stranger = _client(users["stranger"])
    assert stranger.get(f"/staff/checkups/{mine.pk}/edit/").status_code == 404
    assert stranger.post(f"/staff/checkups/{mine.pk}/cancel/").status_code == 404
    assert stranger.post(f"/staff/checkups/{mine.pk}/confirm/").status_code == 404
    assert stranger.get(f"/staff/checkups/new/{own.pk}/").status_code == 404
    assert stranger.get(f"/staff/checkups/import/{own.pk}/").status_code == 404
    assert "あおば保健センター" not in stranger.get("/staff/checkups/sessions.csv").text
    viewer = _client(users["viewer"])
    assert viewer.get(f"/staff/checkups/new/{own.pk}/").status_code == 403
    assert viewer.post(f"/staff/checkups/{mine.pk}/cancel/").status_code == 403
    assert Session.objects.get(pk=mine.pk).status == "scheduled"
    assert Session.objects.get(pk=theirs.pk).status == "scheduled"
    assert Client().get("/staff/checkups/").status_code == 302  # the staff login


def test_counts_under_ten_are_hidden_and_the_export_is_audited(towns):
    own, _, users = towns
    session = _session(own)
    followers = [
        family(own, birth=datetime.date(2026, 8, 1) + datetime.timedelta(days=n)) for n in range(12)
    ]
    for n, follower in enumerate(followers):
        Delivery.objects.create(
            municipality=own,
            subscriber=follower.subscriber,
            child=follower.child,
            channel="email",
            message_key=f"c{follower.child_id}:checkinvite:{session.pk}",
            due_on=datetime.date(2026, 11, 24),
            status="sent" if n < 11 else "failed",
        )
    page = _client(users["viewer"]).get("/staff/checkups/").text
    assert ">12</td>" in page and ">11</td>" in page and "10未満" in page

    response = _client(users["viewer"]).get("/staff/checkups/sessions.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("自治体,健診,日付")
    assert lines[1].endswith(",12,12,11,10未満")
    assert AuditEvent.objects.filter(action="export", target="checkups.sessions").count() == 1


def test_an_editor_enters_a_session_and_a_bad_one_gets_japanese_errors(towns):
    own, _, users = towns
    client = _client(users["editor"])
    form = {
        "check_number": "5",
        "held_on": "2027-01-20",
        "starts_at": "13:30",
        "venue": "あおば保健センター",
        "born_from": "2025-06-01",
        "born_until": "2025-06-30",
        "capacity": "40",
    }
    bad = client.post(f"/staff/checkups/new/{own.pk}/", form | {"born_until": "2025-05-01"})
    assert bad.status_code == 200 and "「から」が「まで」より前" in bad.text
    assert not Session.objects.exists()
    assert client.post(f"/staff/checkups/new/{own.pk}/", form).status_code == 302
    session = Session.objects.get()
    assert session.municipality == own and session.check_number == 5
    assert list(session.changes.values_list("kind", flat=True)) == ["created"]

    # Saving an edit with a new time is one change; saving it again is none.
    edit = form | {"starts_at": "14:00"}
    client.post(f"/staff/checkups/{session.pk}/edit/", edit)
    client.post(f"/staff/checkups/{session.pk}/edit/", edit)
    assert list(SessionChange.objects.values_list("kind", flat=True)) == ["created", "moved"]


def _import(client, municipality, raw, name="sessions.csv"):
    upload = io.BytesIO(raw)
    upload.name = name
    return client.post(f"/staff/checkups/import/{municipality.pk}/", {"file": upload})


def test_import_shows_a_preview_then_writes_every_row(towns):
    own, _, users = towns
    client = _client(users["editor"])
    csv = HEADER + (
        "3〜4か月児健診,2027/1/15,13:30,保健センター,2026-09-01,2026-09-30,30\r\n"
        "1歳6か月児健診,2027-01-20,9:30,あおば会館,2025-06-01,2025-06-30,40\r\n"
    )
    for raw in (("\ufeff" + csv).encode("utf-8"), csv.encode("cp932")):
        preview = _import(client, own, raw)
        assert preview.status_code == 200
        assert "2件を取り込みます" in preview.text and not Session.objects.exists()
    payload = preview.context["payload"]
    assert client.post(f"/staff/checkups/import/{own.pk}/", {"payload": payload}).status_code == 302
    sessions = list(Session.objects.order_by("held_on"))
    assert [(s.check_number, s.held_on, s.starts_at) for s in sessions] == [
        (2, datetime.date(2027, 1, 15), datetime.time(13, 30)),
        (5, datetime.date(2027, 1, 20), datetime.time(9, 30)),
    ]
    # A payload signed for one municipality can't be replayed on another's page.
    stranger_town = MunicipalityFactory()
    StaffMembership.objects.create(user=users["editor"], municipality=stranger_town, role="editor")
    client.post(f"/staff/checkups/import/{stranger_town.pk}/", {"payload": payload})
    assert Session.objects.count() == 2


def test_one_bad_row_and_nothing_is_written(towns):
    own, _, users = towns
    csv = HEADER + (
        "3〜4か月児健診,2027-01-15,13:30,保健センター,2026-09-01,2026-09-30,30\r\n"
        "4か月児健診,2027-13-01,25:00,,2026-09-30,2026-09-01,ゼロ\r\n"
    )
    page = _import(_client(users["editor"]), own, csv.encode("utf-8"))
    assert "3行目: 健診「4か月児健診」がわかりません" in page.text
    assert "日付を 2027-01-15 の形で入力してください" in page.text
    assert "開始時刻を 13:30 の形で" in page.text and "会場を100文字以内" in page.text
    assert "定員を1以上の数で" in page.text and "生年月日の範囲が逆です" in page.text
    assert "2件を取り込みます" not in page.text and "payload" not in page.context
    assert not Session.objects.exists()
    missing = _import(_client(users["editor"]), own, "健診,日付\r\n".encode())
    assert "列「開始時刻」「会場」" in missing.text
    broken = _import(_client(users["editor"]), own, b"\x81\xff\xfe", "s.csv")
    assert "文字コードを読み取れません" in broken.text


def test_excel_import(towns):
    own, _, users = towns
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["健診", "日付", "開始時刻", "会場", "生年月日から", "生年月日まで", "定員"])
    sheet.append(
        ["3歳児健診", datetime.date(2027, 2, 3), datetime.time(13, 0), "保健センター",
         datetime.date(2023, 8, 1), datetime.date(2023, 8, 31), 50]
    )  # fmt: skip
    raw = io.BytesIO()
    book.save(raw)
    client = _client(users["editor"])
    preview = _import(client, own, raw.getvalue(), "sessions.xlsx")
    assert "1件を取り込みます" in preview.text
    client.post(f"/staff/checkups/import/{own.pk}/", {"payload": preview.context["payload"]})
    assert Session.objects.get().check_number == 6
    assert _import(client, own, b"not a workbook", "x.xlsx").context["errors"] == [
        "Excelファイルを読み取れません。"
    ]


def test_an_editor_sets_reminders_and_a_viewer_cannot(towns):
    own, other, users = towns
    form = {
        "reminders_on": "on",
        "checks": ["2", "5", "6"],
        "lead_days": "10",
        "invitation_lead_days": "21",
        "note": "受診票は母子健康手帳別冊にあります。",
    }
    assert (
        _client(users["viewer"]).post(f"/staff/checkups/settings/{own.pk}/", form).status_code
        == 403
    )
    assert _client(users["stranger"]).get(f"/staff/checkups/settings/{own.pk}/").status_code == 404
    bad = _client(users["editor"]).post(
        f"/staff/checkups/settings/{own.pk}/", form | {"invitation_lead_days": "0"}
    )
    assert "1〜60日で入力してください" in bad.text
    assert not CheckupSettings.objects.filter(municipality=own, reminders_on=True).exists()
    assert (
        _client(users["editor"]).post(f"/staff/checkups/settings/{own.pk}/", form).status_code
        == 302
    )
    saved = CheckupSettings.objects.get(municipality=own)
    assert (saved.reminders_on, saved.checks, saved.lead_days, saved.invitation_lead_days) == (
        True,
        [2, 5, 6],
        10,
        21,
    )
    assert not CheckupSettings.objects.filter(municipality=other).exists()


def test_cancelling_asks_first_then_sends_once(towns):
    own, _, users = towns
    session = _session(own)
    client = _client(users["editor"])
    page = client.get(f"/staff/checkups/{session.pk}/cancel/")
    assert "中止にします" in page.text and Session.objects.get().status == "scheduled"
    assert client.post(f"/staff/checkups/{session.pk}/cancel/").status_code == 302
    assert client.post(f"/staff/checkups/{session.pk}/cancel/").status_code == 302
    assert list(SessionChange.objects.values_list("kind", flat=True)) == ["created", "cancelled"]
