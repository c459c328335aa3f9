"""The admin's records of imports, exports, moves and urgent notices: read-only, per municipality."""

import pytest
from django.test import Client

from adoption.models import ChannelMove, ExportLog, ImportBatch
from municipalities.models import StaffMembership
from tests.factories import MunicipalityFactory
from tests.staff.conftest import OPERATORS_GROUP, make_user
from urgent_notices.models import UrgentNotice

pytestmark = pytest.mark.django_db

PAGES = {
    "adoption/importbatch": "koto-readers.csv",
    "adoption/exportlog": "koto-editor",
    "adoption/channelmove": "koto-editor",
    "urgent_notices/urgentnotice": "台風で健診中止",
}


@pytest.fixture
def records(municipality):
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    batch = ImportBatch.objects.create(
        municipality=municipality, source_name="あおばメール", file_name="koto-readers.csv"
    )
    log = ExportLog.objects.create(municipality=municipality, user=editor, rows=3)
    move = ChannelMove.objects.create(
        municipality=municipality, created_by=editor, direction="to_email"
    )
    notice = UrgentNotice.objects.create(
        municipality=municipality, created_by=editor, title="台風で健診中止", body="中止します。"
    )
    return editor, {
        "adoption/importbatch": batch.pk,
        "adoption/exportlog": log.pk,
        "adoption/channelmove": move.pk,
        "urgent_notices/urgentnotice": notice.pk,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_editors_and_operators_read_their_records_and_nobody_changes_them(records):
    editor, pks = records
    operator = make_user("operator", groups=[OPERATORS_GROUP])
    for user in (editor, operator):
        client = client_for(user)
        for page, shown in PAGES.items():
            listing = client.get(f"/admin/{page}/")
            assert listing.status_code == 200 and shown in listing.content.decode(), page
            change = client.get(f"/admin/{page}/{pks[page]}/change/")
            assert change.status_code == 200
            assert 'name="_save"' not in change.content.decode()  # read-only
            assert client.post(f"/admin/{page}/{pks[page]}/change/", {}).status_code == 403
            assert client.get(f"/admin/{page}/add/").status_code == 403
            assert (
                client.post(f"/admin/{page}/{pks[page]}/delete/", {"post": "yes"}).status_code
                == 403
            )
    assert ImportBatch.objects.count() == ExportLog.objects.count() == 1
    assert UrgentNotice.objects.get().title == "台風で健診中止"


def test_another_municipalitys_staff_see_none_of_them(records):
    _, pks = records
    outsider = make_user("midori-editor")
    StaffMembership.objects.create(user=outsider, municipality=MunicipalityFactory(), role="editor")
    client = client_for(outsider)
    for page, shown in PAGES.items():
        listing = client.get(f"/admin/{page}/")
        assert listing.status_code == 200 and shown not in listing.content.decode(), page
        assert client.get(f"/admin/{page}/{pks[page]}/change/").status_code == 404


def test_no_admin_page_names_readers_to_municipality_staff(records):
    editor, _ = records
    page = client_for(editor).get("/admin/").content.decode()
    assert "/admin/adoption/importbatch/" in page and "/admin/urgent_notices/urgentnotice/" in page
    for personal in ("importrow", "importedreader", "linelinkcode", "emailmoverequest"):
        assert f"/admin/adoption/{personal}/" not in page
