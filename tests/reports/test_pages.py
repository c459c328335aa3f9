"""The report's pages and files: the PDF opened and read, the Excel read back, births entered
and imported with row-by-row errors, scoping by municipality, and every download audited."""

import datetime
import io

import openpyxl
import pypdfium2
import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from municipalities.models import OPERATORS_GROUP, StaffMembership
from reports.models import BirthCount
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user

from .conftest import at, families

D = datetime.date


@pytest.fixture
def setup(town, now):
    other = MunicipalityFactory(name="みどり町", slug="midori")
    BirthCount.objects.create(municipality=town, fiscal_year=2026, births=120)
    BirthCount.objects.create(municipality=town, fiscal_year=2025, births=150)
    families(town, 30, registered=at(2026, 5, 1), due=D(2026, 6, 1), birth=D(2026, 6, 2))
    families(town, 20, registered=at(2025, 6, 1), due=D(2025, 12, 1), birth=D(2025, 12, 2))
    users = {
        "editor": make_user("aoba-editor"),
        "viewer": make_user("aoba-viewer"),
        "other_editor": make_user("midori-editor"),
        "operator": make_user("operator"),
    }
    StaffMembership.objects.create(user=users["editor"], municipality=town, role="editor")
    StaffMembership.objects.create(user=users["viewer"], municipality=town, role="viewer")
    StaffMembership.objects.create(user=users["other_editor"], municipality=other, role="editor")
    users["operator"].groups.add(Group.objects.get_or_create(name=OPERATORS_GROUP)[0])
    return town, other, users


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(body: bytes) -> str:
    document = pypdfium2.PdfDocument(body)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_the_pdf_opens_and_says_the_years_figures_and_last_years(setup):
    town, _, users = setup
    response = client_for(users["viewer"]).get(reverse("reports:year_pdf", args=[town.pk, 2026]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "jigyo-hokoku-aoba-fy2026.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content).replace("\r", "").replace("\n", "")
    assert "あおば市 令和8年度 事業報告" in text
    assert (
        "令和8年度は出生数120人のうち25.0%（30人）のご家庭に登録いただきました（令和7年度は13.3%）。"
        in text
    )
    assert "前年度（令和7年度）" in text
    assert "10未満" in text  # the weeks' table has small cells
    event = AuditEvent.objects.get(action="export", target="reports.yearly_pdf")
    assert event.user == users["viewer"] and event.target_id == str(town.pk)


def test_the_excel_reads_back_with_numbers_as_numbers_and_small_counts_as_text(setup):
    town, _, users = setup
    response = client_for(users["editor"]).get(reverse("reports:year_xlsx", args=[town.pk, 2026]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["あおば市 令和8年度 事業報告"]
    assert ["出生数（人口動態）", 120, 150] in rows
    assert ["年度内に生まれたお子さまのうち登録したご家庭", 30, 20] in rows
    assert ["出生数に対する登録の割合", 25.0, 13.3] in rows
    assert ["メール", 0, 0] in rows
    weeks = next(r for r in rows if r and r[0] == "全体")
    # Registered on 5/1 due 6/1: 35 weeks pregnant, so all 30 in 「妊娠28週以降」.
    assert weeks == ["全体", "10未満", "10未満", "10未満", 30, "10未満", 30]
    assert AuditEvent.objects.filter(action="export", target="reports.yearly_xlsx").count() == 1


def test_the_page_shows_the_sentences_and_tables_and_is_audited(setup):
    town, _, users = setup
    response = client_for(users["viewer"]).get(reverse("reports:year", args=[town.pk, 2026]))
    page = response.content.decode()
    assert "令和8年度は出生数120人のうち25.0%（30人）" in page
    assert "PDFで保存" in page and "Excelで保存" in page
    assert "出生数を入力" not in page  # viewers read; editors enter births
    assert AuditEvent.objects.filter(action="view", target="reports.yearly").count() == 1


@pytest.mark.parametrize(
    "name,args",
    [
        ("reports:year", [2026]),
        ("reports:year_pdf", [2026]),
        ("reports:year_xlsx", [2026]),
        ("reports:papers", []),
        ("reports:papers_pdf", []),
    ],
)
def test_another_municipalitys_staff_get_404_operators_see_every_municipality(setup, name, args):
    town, _, users = setup
    url = reverse(name, args=[town.pk, *args])
    assert client_for(users["other_editor"]).get(url).status_code == 404
    assert client_for(users["operator"]).get(url).status_code == 200
    assert client_for(users["viewer"]).get(url).status_code == 200


def test_the_list_shows_staff_their_own_municipality_only(setup):
    town, _other, users = setup
    own = client_for(users["viewer"]).get(reverse("reports:index"))
    assert own.status_code == 302 and own["Location"].endswith(f"/staff/reports/{town.pk}/")
    every = client_for(users["operator"]).get(reverse("reports:index")).content.decode()
    assert "あおば市の事業報告" in every and "みどり町の事業報告" in every


def test_a_year_in_the_future_is_not_found(setup):
    town, _, users = setup
    client = client_for(users["viewer"])
    assert client.get(reverse("reports:year", args=[town.pk, 2027])).status_code == 404
    assert client.get(reverse("reports:year", args=[town.pk, 1988])).status_code == 404


def test_an_editor_enters_the_years_births_a_viewer_cannot(setup):
    town, _, users = setup
    url = reverse("reports:save_births", args=[town.pk, 2026])
    assert client_for(users["viewer"]).post(url, {"births": "99"}).status_code == 404
    response = client_for(users["editor"]).post(url, {"births": "1234"}, follow=True)
    assert "令和8年度（2026年度）の出生数を1,234人にしました。" in response.content.decode()
    assert BirthCount.objects.get(municipality=town, fiscal_year=2026).births == 1234
    response = client_for(users["editor"]).post(url, {"births": "-3"}, follow=True)
    assert "出生数は0以上の整数で入力してください。" in response.content.decode()
    assert BirthCount.objects.get(municipality=town, fiscal_year=2026).births == 1234
    assert client_for(users["other_editor"]).post(url, {"births": "1"}).status_code == 404


def _upload(client, town, text, encoding="utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("reports:import_births", args=[town.pk]),
        {"file": SimpleUploadedFile("births.csv", text.encode(encoding)), "fiscal_year": "2026"},
        follow=True,
    )


def test_births_import_from_a_yearly_csv_in_shift_jis(setup):
    town, _, users = setup
    response = _upload(
        client_for(users["editor"]),
        town,
        '年度,出生数\r\n令和6年度,"1,310"\r\nＲ７,１２３４\r\n',
        "cp932",
    )
    assert (
        "令和6年度（2024年度） 1,310人、令和7年度（2025年度） 1,234人" in response.content.decode()
    )
    assert BirthCount.objects.get(municipality=town, fiscal_year=2024).births == 1310
    assert BirthCount.objects.get(municipality=town, fiscal_year=2025).births == 1234


def test_births_import_sums_monthly_rows_into_fiscal_years(setup):
    town, _, users = setup
    months = "\n".join(f"2025-{m:02d},100" for m in range(4, 13))
    months += "\n2026-01,100\n2026-02,100\n2026-03,100\n2026-04,90\n"
    response = _upload(client_for(users["editor"]), town, "年月,出生数\n" + months)
    page = response.content.decode()
    assert (
        "出生数を取り込みました: 令和7年度（2025年度） 1,200人、令和8年度（2026年度） 90人（1か月分）。"
        in page
    )
    assert BirthCount.objects.get(municipality=town, fiscal_year=2025).births == 1200
    assert BirthCount.objects.get(municipality=town, fiscal_year=2026).source == "imported"


def test_a_file_with_any_bad_row_changes_nothing_and_says_which_rows(setup):
    town, _, users = setup
    response = _upload(
        client_for(users["editor"]),
        town,
        "年度,出生数\n令和5年度,1300\n来年度,1200\n令和7年度,たくさん\n令和5年度,1\n",
    )
    page = response.content.decode()
    assert "取り込めませんでした（何も変更していません）。" in page
    assert "3行目: 年度「来年度」を読み取れません（例: 令和7年度、2025）。" in page
    assert "4行目: 出生数「たくさん」が数字ではありません" in page
    assert "5行目: 2023年度が2回出てきます。" in page
    assert not BirthCount.objects.filter(municipality=town, fiscal_year=2023).exists()
    assert BirthCount.objects.get(municipality=town, fiscal_year=2025).births == 150


def test_a_file_without_the_columns_names_what_it_found(setup):
    town, _, users = setup
    page = _upload(client_for(users["editor"]), town, "year,births\n2025,1\n").content.decode()
    assert (
        "1行目に「年度」（または「年月」）と「出生数」の列名が必要です。見つかった列名: year、births"
        in page
    )
