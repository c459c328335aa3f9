"""The review pages: queue filters, the version page's decisions, scope, the packet and the sheet."""

import io

import openpyxl
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from content.models import StageMessage
from reviews import services
from reviews.models import TextVersion
from reviews.spreadsheet import HEADER
from tests.content.factories import BirthdayMessageFactory, StageMessageFactory
from tests.factories import MunicipalityFactory
from tests.reviews.conftest import make_reviewer

pytestmark = pytest.mark.django_db


def current(text) -> TextVersion:
    return TextVersion.objects.get(
        text_type__model=text._meta.model_name, text_id=text.pk, current=True
    )


@pytest.fixture
def waiting(editor):
    texts = [StageMessageFactory(number=n) for n in (20, 21)] + [
        StageMessageFactory(track="child", unit="month", number=4, subject="生後4か月：テスト")
    ]
    return [services.submit(current(t), user=editor) for t in texts]


def test_the_queue_filters_by_field_track_stage_and_state(client, obstetrician, midwife, waiting):
    client.force_login(midwife)
    services.decide(waiting[0], user=obstetrician, approve=True)
    page = client.get(reverse("reviews:queue"))
    assert page.status_code == 200
    assert page.content.decode().count("rv-state-in_review") == 3
    # A midwife's approval is still wanted on week 20; a physician's is not.
    assert [v.pk for v in page.context["versions"]] == [v.pk for v in waiting]
    by_field = client.get(reverse("reviews:queue"), {"field": "obstetrician"}).context["versions"]
    assert [v.pk for v in by_field] == [waiting[1].pk, waiting[2].pk]
    assert [
        v.pk for v in client.get(reverse("reviews:queue"), {"track": "child"}).context["versions"]
    ] == [waiting[2].pk]
    assert [
        v.pk
        for v in client.get(reverse("reviews:queue"), {"stage": "妊娠21週"}).context["versions"]
    ] == [waiting[1].pk]
    assert client.get(reverse("reviews:queue"), {"state": "approved"}).context["versions"] == []
    # Unknown filter values are ignored, not an error.
    assert client.get(reverse("reviews:queue"), {"state": "<script>"}).status_code == 200


def test_a_reviewer_approves_from_the_version_page(client, obstetrician, midwife, waiting):
    version = waiting[0]
    client.force_login(midwife)
    page = client.get(reverse("reviews:version", args=[version.pk]))
    assert "この版を承認する" in page.content.decode()
    response = client.post(
        reverse("reviews:version", args=[version.pk]),
        {"action": "approve", "content_hash": version.content_hash},
        follow=True,
    )
    assert "承認を記録しました" in response.content.decode()
    client.force_login(obstetrician)
    client.post(
        reverse("reviews:version", args=[version.pk]),
        {"action": "approve", "content_hash": version.content_hash},
    )
    version.refresh_from_db()
    assert version.state == TextVersion.State.APPROVED


def test_a_post_for_a_version_read_before_an_edit_changes_nothing(client, midwife, waiting):
    version = waiting[0]
    text = StageMessage.objects.get(pk=version.text_id)
    text.body += "\n書き換え"
    text.save()
    client.force_login(midwife)
    response = client.post(
        reverse("reviews:version", args=[version.pk]),
        {"action": "approve", "content_hash": version.content_hash},
        follow=True,
    )
    assert "新しい版を読み直してください" in response.content.decode()
    assert not version.decisions.exists()


def test_an_editor_sees_the_queue_but_cannot_approve(client, editor, waiting):
    client.force_login(editor)
    page = client.get(reverse("reviews:version", args=[waiting[0].pk]))
    assert "この版を承認する" not in page.content.decode()
    response = client.post(
        reverse("reviews:version", args=[waiting[0].pk]),
        {"action": "approve", "content_hash": waiting[0].content_hash},
        follow=True,
    )
    assert "監修者だけが" in response.content.decode()


def test_staff_without_a_role_or_review_get_403(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("reviews:queue")).status_code == 403


def test_a_municipalitys_reviewer_cannot_open_another_municipalitys_text(client, editor):
    koto, other = MunicipalityFactory(), MunicipalityFactory()
    reviewer = make_reviewer("koto-reviewer", "paediatrician", tenant=koto)
    elsewhere = current(BirthdayMessageFactory(municipality=other))
    own = current(BirthdayMessageFactory(municipality=koto, age_years=2))
    client.force_login(reviewer)
    assert client.get(reverse("reviews:version", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("reviews:version", args=[own.pk])).status_code == 200
    listed = {v.pk for v in client.get(reverse("reviews:queue")).context["versions"]}
    assert own.pk in listed and elsewhere.pk not in listed


def test_the_diff_sets_the_last_approved_version_beside_this_one(
    client, obstetrician, midwife, editor
):
    text = StageMessageFactory()
    version = services.submit(current(text), user=editor)
    services.decide(version, user=midwife, approve=True)
    services.decide(version, user=obstetrician, approve=True)
    text.body = text.body.replace("順調です", "すくすく育っています")
    text.save()
    client.force_login(midwife)
    page = client.get(reverse("reviews:version", args=[current(text).pk]))
    rows = page.context["diff"]
    changed = [row for row in rows if row.kind != "same"]
    assert len(changed) == 1 and "順調です" in changed[0].left and "すくすく" in changed[0].right


def test_the_review_packet_is_a_pdf_with_the_text_and_its_facts(client, midwife, waiting):
    import pypdfium2

    TextVersion.objects.filter(pk=waiting[0].pk).update(facts=["母子健康手帳の記載"])
    client.force_login(midwife)
    response = client.get(reverse("reviews:packet"), {"id": [waiting[0].pk, waiting[1].pk]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    assert len(document) == 2
    page = document[0].get_textpage().get_text_range()
    assert (
        "妊娠20週" in page
        and "母子健康手帳の記載" in page
        and "承認" in page
        and "はなさん" in page
    )


def sheet_rows(content: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def as_upload(rows: list[list]) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "decisions.xlsx"
    return buffer


def test_the_excel_round_trip_records_decisions_and_refuses_rows_whose_text_changed(
    client, midwife, waiting
):
    client.force_login(midwife)
    exported = client.get(reverse("reviews:export"))
    assert exported.status_code == 200
    assert AuditEvent.objects.filter(action="export", target="reviews.TextVersion").exists()
    rows = sheet_rows(exported.content)
    assert rows[0] == HEADER and len(rows) == 4
    by_stage = {row[2]: row for row in rows[1:]}
    by_stage["妊娠20週"][8] = "承認"
    by_stage["妊娠21週"][8] = "修正依頼"
    by_stage["妊娠21週"][9] = "数値の出典を追記してください"
    by_stage["生後4か月"][8] = "承認"
    # The month-4 text changes after the export: that row alone is refused.
    month = StageMessage.objects.get(track="child")
    month.body += "\n追記"
    month.save()
    response = client.post(reverse("reviews:import"), {"sheet": as_upload(rows)})
    outcomes = {o.version_id: o for o in response.context["outcomes"]}
    assert outcomes[str(waiting[0].pk)].ok and outcomes[str(waiting[1].pk)].ok
    assert not outcomes[str(waiting[2].pk)].ok
    assert "本文が変わった" in outcomes[str(waiting[2].pk)].message
    assert waiting[0].decisions.get().reviewer.user == midwife
    waiting[1].refresh_from_db()
    assert waiting[1].state == TextVersion.State.CHANGES_REQUESTED
    assert waiting[1].comments.get().body == "数値の出典を追記してください"
    assert not waiting[2].decisions.exists()


def test_an_import_of_something_else_is_refused_whole(client, midwife, waiting):
    client.force_login(midwife)
    response = client.post(reverse("reviews:import"), {"sheet": io.BytesIO(b"not a workbook")})
    assert "Excelファイル（.xlsx）として読めませんでした" in response.content.decode()
    response = client.post(reverse("reviews:import"), {"sheet": as_upload([["名前", "住所"]])})
    assert "見出し" in response.content.decode()
    assert not TextVersion.objects.filter(decisions__isnull=False).exists()
