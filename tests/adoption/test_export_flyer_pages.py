"""Export round trip, the flyer's QR codes, source tags, and the staff pages with their scoping."""

import datetime
import io

import pytest
import time_machine
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image

from adoption import exports, flyer, imports
from adoption.models import ExportLog, ImportBatch
from kizuna import clock
from municipalities.models import ConsultationContact, StaffMembership
from subscribers import services
from subscribers.models import Subscriber
from tests.delivery.conftest import MORNING, due_for, family, line_user
from tests.factories import MunicipalityFactory, SubscriptionFactory
from tests.staff.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def afternoon():
    with time_machine.travel(MORNING + datetime.timedelta(hours=6), tick=False):
        yield


@pytest.fixture
def staff(municipality):
    users = {
        "editor": make_user("koto-editor"),
        "viewer": make_user("koto-viewer"),
        "outsider": make_user("midori-editor"),
    }
    StaffMembership.objects.create(user=users["editor"], municipality=municipality, role="editor")
    StaffMembership.objects.create(user=users["viewer"], municipality=municipality, role="viewer")
    StaffMembership.objects.create(
        user=users["outsider"], municipality=MunicipalityFactory(), role="editor"
    )
    return users


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_export_then_import_elsewhere_gives_the_same_families(municipality, afternoon):
    mother = family(municipality, due=due_for(20), nickname="はな")
    SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__relationship="partner",
        subscriber__confirmed_at=clock.now(),
        child=mother.child,
    )
    family(
        municipality,
        birth=datetime.date(2026, 6, 1),
        channel="line",
        email=None,
        line_user_id=line_user(7),
    )
    lost = family(municipality, due=due_for(15))
    services.report_loss(lost.child_id, "miscarriage")
    left = family(municipality, due=due_for(25))
    services.unsubscribe(left.subscriber_id)

    data, count = exports.readers_csv(municipality)
    assert data.startswith(b"\xef\xbb\xbf") and count == 3
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header.startswith(
        "メールアドレス,LINEユーザーID,続柄,ニックネーム,出産予定日,生年月日,同意日"
    )
    assert lost.subscriber.email not in data.decode("utf-8-sig")

    elsewhere = MunicipalityFactory(line_enabled=True)
    batch = imports.start(elsewhere, raw=data, file_name="export.csv", source_name="江東区のKizuna")
    batch = imports.analyse(batch.pk)
    assert (batch.to_create, batch.to_merge, batch.rejected) == (2, 1, 0)
    imports.confirm(batch.pk)
    imports.run(batch.pk)
    moved = Subscriber.objects.get(municipality=elsewhere, email=mother.subscriber.email)
    assert moved.nickname == "はな" and moved.consent_at == mother.subscriber.consent_at
    assert moved.children.get().due_date == mother.child.due_date
    partner = Subscriber.objects.get(municipality=elsewhere, relationship="partner")
    assert list(partner.children.all()) == list(moved.children.all())
    assert (
        Subscriber.objects.get(municipality=elsewhere, line_user_id=line_user(7)).channel == "line"
    )


def test_a_reader_following_two_children_comes_back_as_one_reader_with_both(
    municipality, afternoon
):
    older = family(municipality, birth=datetime.date(2025, 12, 1), nickname="はな")
    mother = older.subscriber
    younger = SubscriptionFactory(
        subscriber=mother, child__municipality=municipality, child__due_date=due_for(20)
    ).child
    partner = SubscriptionFactory(
        subscriber__municipality=municipality,
        subscriber__relationship="partner",
        subscriber__confirmed_at=clock.now(),
        child=younger,
    ).subscriber
    data, count = exports.readers_csv(municipality)
    assert count == 3  # the mother on two rows, one per child
    assert data.decode("utf-8-sig").count(mother.email) == 2

    elsewhere = MunicipalityFactory()
    batch = imports.analyse(
        imports.start(elsewhere, raw=data, file_name="export.csv", source_name="江東区").pk
    )
    assert (batch.to_create, batch.to_merge, batch.rejected) == (1, 2, 0)
    assert batch.rows.filter(action="child").count() == 1
    imports.confirm(batch.pk)
    batch = imports.run(batch.pk)
    assert (batch.imported, batch.skipped_at_import) == (3, 0)

    moved = Subscriber.objects.get(municipality=elsewhere, email=mother.email)
    assert Subscriber.objects.filter(municipality=elsewhere).count() == 2
    assert {(c.birth_date, c.due_date) for c in moved.children.all()} == {
        (older.child.birth_date, None),
        (None, younger.due_date),
    }
    moved_partner = Subscriber.objects.get(municipality=elsewhere, email=partner.email)
    assert list(moved_partner.children.all()) == [moved.children.get(due_date=younger.due_date)]
    assert moved.deliveries.filter(message_key=batch.message_key).count() == 1  # one welcome

    # Exported again from there, the file is the same families; uploaded again, nothing new.
    again, _ = exports.readers_csv(elsewhere)
    assert again.decode("utf-8-sig").count(mother.email) == 2
    repeat = imports.analyse(
        imports.start(elsewhere, raw=data, file_name="export.csv", source_name="江東区").pk
    )
    assert (repeat.already_imported, repeat.to_create, repeat.to_merge) == (3, 0, 0)


def test_export_is_for_the_municipalitys_editors_only_and_logged(municipality, staff, afternoon):
    family(municipality, due=due_for(20))
    url = reverse("adoption:export", args=[municipality.pk])
    assert client_for(staff["viewer"]).get(url).status_code == 404
    assert client_for(staff["outsider"]).get(url).status_code == 404
    assert ExportLog.objects.count() == 0
    response = client_for(staff["editor"]).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")
    log = ExportLog.objects.get()
    assert (log.user, log.municipality, log.rows) == (staff["editor"], municipality, 1)


def decoded(png: bytes) -> list[str]:
    return sorted(result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


def test_the_flyers_qr_codes_decode_to_the_signup_url_and_the_line_friend_link(
    municipality, settings
):
    settings.SITE_URL = "https://kizuna.city.koto.example.jp"
    municipality.line_friend_url = "https://lin.ee/koto-friend"
    municipality.save()
    ConsultationContact.objects.create(
        municipality=municipality, name="城東保健相談所", phone="03-3647-5879"
    )
    png = flyer.flyer_png(municipality, "boshitecho")
    assert decoded(png) == [
        "https://kizuna.city.koto.example.jp/m/koto/?src=boshitecho",
        "https://lin.ee/koto-friend",
    ]
    municipality.line_enabled = False
    municipality.save()
    assert decoded(flyer.flyer_png(municipality)) == ["https://kizuna.city.koto.example.jp/m/koto/"]
    assert flyer.flyer_pdf(municipality).startswith(b"%PDF")


def test_signups_from_a_tagged_qr_code_show_in_the_overview(municipality, staff, afternoon):
    client = Client()
    client.post(
        reverse("subscribers:landing", args=[municipality.slug]) + "?src=boshitecho",
        {
            "email": "qr@example.jp",
            "relationship": "self",
            "nickname": "",
            "language": "ja",
            "situation": "expecting",
            "due_date": due_for(10).isoformat(),
            "consent": "on",
        },
    )
    reader = Subscriber.objects.get(email="qr@example.jp")
    assert reader.signup_tag == "boshitecho"
    client.post(
        reverse("subscribers:landing", args=[municipality.slug]) + "?src=<script>",
        {
            "email": "odd@example.jp",
            "relationship": "self",
            "language": "ja",
            "situation": "expecting",
            "due_date": due_for(10).isoformat(),
            "consent": "on",
        },
    )
    assert Subscriber.objects.get(email="odd@example.jp").signup_tag == ""
    page = client_for(staff["viewer"]).get(
        reverse("staff:municipality_overview", args=[municipality.pk])
    )
    assert "<code>boshitecho</code>" in page.content.decode()


def test_flyer_pages_for_readers_of_the_municipality_only(municipality, staff):
    url = reverse("adoption:flyer", args=[municipality.pk, "pdf"])
    response = client_for(staff["viewer"]).get(url, {"src": "boshitecho"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client_for(staff["outsider"]).get(url).status_code == 404
    bad = client_for(staff["viewer"]).get(url, {"src": "母子手帳"}, follow=True)
    assert "半角英小文字" in bad.content.decode()


def test_upload_preview_and_confirm_in_the_pages(
    municipality, staff, afternoon, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from kizuna.celery import app

    app.conf.task_always_eager = True
    try:
        editor = client_for(staff["editor"])
        upload_url = reverse("adoption:upload", args=[municipality.pk])
        assert client_for(staff["viewer"]).get(upload_url).status_code == 404
        refused = editor.post(upload_url, {"source_name": "{{ x }}"})
        assert (
            "記号" in refused.content.decode()
            and "このフィールドは必須です" in refused.content.decode()
        )
        csv = (
            "メールアドレス,続柄,出産予定日,同意日\r\n"
            f"a@example.jp,本人,{due_for(12):%Y/%m/%d},2026/4/1\r\n"
            "b@example.jp,本人,いつか,2026/4/1\r\n"
        ).encode("cp932")
        with django_capture_on_commit_callbacks(execute=True):
            response = editor.post(
                upload_url,
                {"source_name": "あおば子育てメール", "file": _file("旧サービス.csv", csv)},
            )
        batch = ImportBatch.objects.get()
        assert response.url == reverse("adoption:batch", args=[batch.pk])
        page = editor.get(response.url).content.decode()
        assert "1人を取り込む" in page and "日付として読めません" in page
        assert client_for(staff["outsider"]).get(response.url).status_code == 404
        assert (
            client_for(staff["outsider"])
            .post(reverse("adoption:confirm", args=[batch.pk]))
            .status_code
            == 404
        )
        assert not Subscriber.objects.filter(email="a@example.jp").exists()
        with django_capture_on_commit_callbacks(execute=True):
            editor.post(reverse("adoption:confirm", args=[batch.pk]))
        assert Subscriber.objects.filter(email="a@example.jp", source="import").exists()
        assert "取り込みが終わりました" in editor.get(response.url).content.decode()
    finally:
        app.conf.task_always_eager = False


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.mark.parametrize("file_name", ["export.csv", "export.xlsx"])
def test_the_excel_and_csv_exports_import_back_with_nicknames_as_written(
    municipality, afternoon, file_name
):
    """Neutralising formulas must not change a nickname that goes round the trip."""
    from kizuna.spreadsheets import excel_csv, excel_xlsx

    family(municipality, due=due_for(20), nickname="-はな-")
    family(municipality, due=due_for(22), nickname="=ゆい")
    table = exports.readers_rows(municipality)
    raw = excel_xlsx(table) if file_name.endswith("xlsx") else excel_csv(table).encode()
    elsewhere = MunicipalityFactory()
    batch = imports.analyse(
        imports.start(elsewhere, raw=raw, file_name=file_name, source_name="江東区").pk
    )
    assert (batch.to_create, batch.rejected) == (2, 0)
    imports.confirm(batch.pk)
    imports.run(batch.pk)
    assert set(
        Subscriber.objects.filter(municipality=elsewhere).values_list("nickname", flat=True)
    ) == {"-はな-", "=ゆい"}
