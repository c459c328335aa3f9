"""Staff see coverage per dose from parents' records: aggregates only, small counts hidden, their
own municipality only, as CSV too, each view and export in the audit trail."""

import csv
import datetime
import io

import pytest
import time_machine
from django.test import Client

from audit.models import AuditEvent
from kizuna import clock
from municipalities.models import StaffMembership
from tests.delivery.conftest import family
from tests.factories import MunicipalityFactory
from tests.staff.conftest import make_user
from vaccinations.models import DoseRecord, ReminderSettings

pytestmark = pytest.mark.django_db

BORN = datetime.date(2026, 6, 1)  # 6 months old on Dec 3, 2026


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 12, 3, 10, 0, tzinfo=clock.TOKYO), tick=False):
        yield


@pytest.fixture
def towns():
    town = MunicipalityFactory(name="あおば市", slug="aoba")
    other = MunicipalityFactory(name="みどり町", slug="midori")
    children = [family(town, birth=BORN).child for _ in range(12)]
    for child in children[:11]:
        DoseRecord.objects.create(child=child, dose="hepb-1", given_on=datetime.date(2026, 8, 1))
    for child in children[:3]:
        DoseRecord.objects.create(
            child=child, dose="dtpipvhib-1", given_on=datetime.date(2026, 8, 1)
        )
    family(town, birth=datetime.date(2026, 11, 20))  # 2 weeks old: not yet counted for 2 months
    for _ in range(15):
        stranger = family(other, birth=BORN).child
        DoseRecord.objects.create(child=stranger, dose="hepb-1", given_on=datetime.date(2026, 8, 1))
    return town, other


def staff(username, municipality, role):
    user = make_user(username)
    StaffMembership.objects.create(user=user, municipality=municipality, role=role)
    client = Client()
    client.force_login(user)
    return client


def cells(page: str, label: str) -> str:
    row = page[page.index(label) :]
    return row[: row.index("</tr>")]


def test_coverage_per_dose_with_small_counts_hidden(towns):
    town, _other = towns
    page = staff("aoba-viewer", town, "viewer").get(f"/staff/vaccinations/{town.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    hepb = cells(html, "<td>1回目</td>")  # B型肝炎 1回目, the first row
    assert ">12<" in hepb and ">11<" in hepb and "91.7%" in hepb
    five = cells(html, "五種混合")
    assert "10未満" in five and "—" in five
    assert "みどり" not in html
    assert AuditEvent.objects.filter(action="view", target="vaccinations.coverage").count() == 1


def test_the_csv_has_the_same_cells_and_is_audited(towns):
    town, _other = towns
    response = staff("aoba-viewer", town, "viewer").get(
        f"/staff/vaccinations/{town.pk}/coverage.csv"
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["自治体", "予防接種", "回", "対象の子ども", "記録あり", "記録の割合"]
    hepb = next(r for r in rows if r[1] == "B型肝炎" and r[2] == "1回目")
    assert hepb[3:] == ["12", "11", "91.7%"]
    five = next(r for r in rows if r[1].startswith("五種混合") and r[2] == "1期初回 1回目")
    assert five[3:] == ["12", "10未満", "—"]
    assert AuditEvent.objects.filter(action="export", target="vaccinations.coverage").exists()


def test_another_municipalitys_staff_see_nothing(towns):
    town, other = towns
    client = staff("midori-editor", other, "editor")
    assert client.get(f"/staff/vaccinations/{town.pk}/").status_code == 404
    assert client.get(f"/staff/vaccinations/{town.pk}/coverage.csv").status_code == 404
    assert client.post(f"/staff/vaccinations/{town.pk}/", {"reminders_on": "on"}).status_code == 404


def test_editors_turn_reminders_on_and_viewers_cannot(towns):
    town, _other = towns
    form = {
        "reminders_on": "on",
        "opens_lead_days": "10",
        "deadline_lead_days": "30",
        "note": "予約は保健センター（03-0000-0000）へ。",
        "optional_vaccines": ["mumps"],
    }
    viewer = staff("aoba-viewer", town, "viewer")
    assert viewer.post(f"/staff/vaccinations/{town.pk}/", form).status_code == 403
    assert ReminderSettings.of(town).reminders_on is False
    editor = staff("aoba-editor", town, "editor")
    assert editor.post(f"/staff/vaccinations/{town.pk}/", form).status_code == 302
    saved = ReminderSettings.of(town)
    assert (saved.reminders_on, saved.opens_lead_days, saved.optional_vaccines) == (
        True,
        10,
        ["mumps"],
    )
    bad = editor.post(f"/staff/vaccinations/{town.pk}/", {**form, "opens_lead_days": "0"})
    assert bad.status_code == 200 and ReminderSettings.of(town).opens_lead_days == 10
    # The optional vaccine now has a row of its own.
    assert "おたふくかぜ" in editor.get(f"/staff/vaccinations/{town.pk}/").content.decode()


def test_staff_with_one_municipality_go_straight_to_it(towns):
    town, _other = towns
    response = staff("aoba-viewer", town, "viewer").get("/staff/vaccinations/")
    assert response.status_code == 302 and response["Location"].endswith(
        f"/staff/vaccinations/{town.pk}/"
    )
