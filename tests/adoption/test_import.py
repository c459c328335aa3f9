"""Moving readers in from another service: preview, confirm, again, and the first mornings."""

import datetime
import logging

import pytest
import time_machine

from adoption import imports
from adoption.models import ImportBatch, ImportedReader, ImportRow
from delivery import dispatch, planner
from delivery.models import Delivery
from kizuna import clock
from subscribers.models import Child, Subscriber
from tests.adoption.files import LINE_ID, csv_bytes, messy_rows, mixed_bytes, xlsx_bytes
from tests.delivery.conftest import MORNING, TODAY, due_for, family
from tests.factories import MunicipalityFactory, SubscriberFactory

pytestmark = pytest.mark.django_db

AFTERNOON = MORNING + datetime.timedelta(hours=6)  # 13:30, after the day's plan ran
EXISTING = "registered@example.jp"


@pytest.fixture(autouse=True)
def existing_reader(municipality):
    """Someone who signed up by themselves before the move."""
    return SubscriberFactory(municipality=municipality, email=EXISTING)


@pytest.fixture
def afternoon():
    with time_machine.travel(AFTERNOON, tick=False):
        yield AFTERNOON


def analysed(municipality, raw: bytes, name="readers.csv", source="あおば子育てメール"):
    batch = imports.start(municipality, raw=raw, file_name=name, source_name=source)
    return imports.analyse(batch.pk)


def actions(batch) -> dict[int, str]:
    return dict(batch.rows.values_list("line", "action"))


def reasons(batch, line) -> str:
    return batch.rows.get(line=line).reasons


EXPECTED = {
    2: "create",
    3: "merge",
    4: "create",
    5: "reject",
    6: "reject",
    7: "reject",
    8: "reject",
    9: "reject",
    10: "reject",
    12: "create",
}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(lambda rows: csv_bytes(rows, "cp932"), id="shift_jis"),
        pytest.param(lambda rows: csv_bytes(rows, "utf-8", bom=True), id="utf-8-bom"),
        pytest.param(mixed_bytes, id="mixed-shift_jis-and-utf-8"),
    ],
)
def test_dry_run_says_row_by_row_what_would_happen_and_writes_no_reader(
    municipality, afternoon, raw
):
    readers_before = Subscriber.objects.count()
    batch = analysed(municipality, raw(messy_rows(EXISTING)))
    assert batch.status == "previewed"
    assert actions(batch) == EXPECTED
    assert (batch.to_create, batch.to_merge, batch.already_imported, batch.rejected) == (3, 1, 0, 6)
    assert "日付として読めません" in reasons(batch, 5)
    assert "配信期間" in reasons(batch, 6)
    assert "すでに登録されています" in reasons(batch, 7)
    assert "LINEユーザーIDの形" in reasons(batch, 8)
    assert "2行目と同じ連絡先" in reasons(batch, 9)
    assert "同意日がありません" in reasons(batch, 10)
    assert "2行目の家族" in reasons(batch, 3)
    assert batch.rows.get(line=2).contact_hint == "ha**@example.jp"
    assert Subscriber.objects.count() == readers_before and Child.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert batch.file is None  # the parsed rows are kept, not the file


def test_confirm_imports_what_was_previewed_keeping_consent_and_source(municipality, afternoon):
    batch = analysed(municipality, csv_bytes(messy_rows(EXISTING)))
    imports.confirm(batch.pk)
    batch = imports.run(batch.pk)
    assert batch.status == "done" and batch.imported == 4
    hana = Subscriber.objects.get(email="hana@example.jp")
    assert hana.source == "import" and hana.confirmed_at == AFTERNOON
    assert hana.consent_at == datetime.datetime(2026, 4, 1, tzinfo=clock.TOKYO)
    assert hana.consent_policy_version == f"import:{batch.pk}"
    taro = Subscriber.objects.get(email="taro@example.jp")
    assert taro.relationship == "partner"
    assert list(taro.children.all()) == list(hana.children.all())  # one family, two readers
    sakura = Subscriber.objects.get(line_user_id=LINE_ID)
    assert sakura.channel == "line" and sakura.children.get().status == "born"
    assert sakura.consent_at.astimezone(clock.TOKYO).date() == datetime.date(2026, 9, 3)  # 令和8年
    assert Subscriber.objects.get(email="yuki@example.jp").relationship == "grandparent"
    welcome = Delivery.objects.filter(message_key=f"import:{batch.pk}")
    assert welcome.count() == 4
    # The welcome goes with the next morning's messages, not at 13:30.
    assert {d.next_attempt_at for d in welcome} == {MORNING + datetime.timedelta(days=1)}
    assert not batch.rows.exclude(data={}).exists()  # addresses no longer kept in the rows


def test_the_same_file_again_imports_nothing(municipality, afternoon):
    raw = csv_bytes(messy_rows(EXISTING))
    first = analysed(municipality, raw)
    imports.confirm(first.pk)
    imports.run(first.pk)
    readers = Subscriber.objects.count()
    deliveries = Delivery.objects.count()

    again = analysed(municipality, raw)
    # Line 9 repeats line 2's address: already imported as well.
    assert (again.to_create, again.to_merge, again.already_imported) == (0, 0, 5)
    assert "すでに取り込んでいます" in reasons(again, 2)
    imports.confirm(again.pk)
    again = imports.run(again.pk)
    assert again.imported == 0
    assert Subscriber.objects.count() == readers and Delivery.objects.count() == deliveries
    assert ImportedReader.objects.count() == 4


def test_two_previews_confirmed_one_after_the_other_import_once(municipality, afternoon):
    raw = csv_bytes(messy_rows(EXISTING))
    first, second = analysed(municipality, raw), analysed(municipality, raw)
    for batch in (first, second):
        imports.confirm(batch.pk)
        imports.run(batch.pk)
    second.refresh_from_db()
    assert second.imported == 0 and second.skipped_at_import == 4
    assert Subscriber.objects.filter(source="import").count() == 4


def test_confirming_twice_or_a_discarded_batch_does_nothing_more(municipality, afternoon):
    batch = analysed(municipality, csv_bytes(messy_rows(EXISTING)))
    imports.confirm(batch.pk)
    imports.confirm(batch.pk)
    imports.run(batch.pk)
    imports.run(batch.pk)
    assert Subscriber.objects.filter(source="import").count() == 4
    other = analysed(municipality, csv_bytes(["new@example.jp,,本人,,2027/3/1,,2026/4/1,メール,"]))
    imports.discard(other.pk)
    with pytest.raises(imports.ImportRefused):
        imports.confirm(other.pk)
    assert not Subscriber.objects.filter(email="new@example.jp").exists()


def test_imported_readers_start_at_todays_stage_the_next_morning_without_backlog(
    municipality, texts, smtp
):
    # Day T: plan at 07:30 for a reader already here; the import runs at 13:30.
    tomorrow = TODAY + datetime.timedelta(days=1)
    entering_tomorrow = due_for(21, on=tomorrow)  # enters week 21 tomorrow
    entered_yesterday = due_for(20, on=TODAY - datetime.timedelta(days=1))
    with time_machine.travel(MORNING, tick=False):
        planner.plan_due()
        long_time_reader = family(municipality, due=entered_yesterday)
    rows = [
        f"t@example.jp,,本人,,{entering_tomorrow:%Y/%m/%d},,2026/5/1,メール,",
        f"y@example.jp,,本人,,{entered_yesterday:%Y/%m/%d},,2026/5/1,メール,",
    ]
    with time_machine.travel(AFTERNOON, tick=False):
        batch = analysed(municipality, csv_bytes(rows))
        imports.confirm(batch.pk)
        imports.run(batch.pk)
        # A catch-up of yesterday (as after downtime) sends yesterday's stage to the long-time
        # reader only: imported readers never get what fell due before they arrived.
        planner.plan_day(TODAY - datetime.timedelta(days=1), [municipality])
    imported = Subscriber.objects.filter(source="import")
    assert not Delivery.objects.filter(subscriber__in=imported, message_key__contains=":stage:")
    assert Delivery.objects.filter(
        subscriber=long_time_reader.subscriber, message_key__endswith="week:20"
    ).exists()

    with time_machine.travel(MORNING + datetime.timedelta(days=1), tick=False):
        planner.plan_due()
        dispatch.dispatch()
    stage = Delivery.objects.filter(subscriber__in=imported, message_key__contains=":stage:")
    assert [(d.subscriber.email, d.message_key.split(":", 2)[2]) for d in stage] == [
        ("t@example.jp", "pregnancy:week:21")
    ]
    welcome = [m for m in smtp.messages if m["To"] == "t@example.jp"]
    subjects = sorted(str(m["Subject"]).strip() for m in welcome)
    assert len(welcome) == 2 and "「こんにちは赤ちゃんメール」へ引き継ぎました" in subjects
    text = (
        next(m for m in welcome if "引き継ぎ" in str(m["Subject"]))
        .get_body(preferencelist=("plain",))
        .get_content()
    )
    assert "「あおば子育てメール」" in text and "配信停止" in text and "/u/" in text


def test_an_excel_file_with_date_cells(municipality, afternoon):
    raw = xlsx_bytes(
        [
            [
                "mei@example.jp",
                None,
                "本人",
                "めい",
                datetime.datetime(2027, 2, 1),  # noqa: DTZ001 (Excel cells have no time zone)
                None,
                datetime.datetime(2026, 5, 1, 9, 30),  # noqa: DTZ001
                "メール",
                None,
            ],
            [
                "x@example.jp",
                None,
                "本人",
                None,
                "未定",
                None,
                datetime.date(2026, 5, 1),
                None,
                None,
            ],
        ]
    )
    batch = analysed(municipality, raw, name="export.xlsx")
    assert actions(batch) == {2: "create", 3: "reject"}
    imports.confirm(batch.pk)
    imports.run(batch.pk)
    mei = Subscriber.objects.get(email="mei@example.jp")
    assert mei.children.get().due_date == datetime.date(2027, 2, 1)
    assert mei.consent_at == datetime.datetime(2026, 5, 1, 9, 30, tzinfo=clock.TOKYO)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "ファイルが空です"),
        ("名前,電話\r\nはな,03\r\n".encode("cp932"), "必要な列が見つかりません"),
        (b"PK\x03\x04not really a workbook", "Excel（.xlsx）ファイルとして読めませんでした"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(municipality, afternoon, raw, message):
    batch = analysed(municipality, raw)
    assert batch.status == "failed" and message in batch.error
    assert not ImportRow.objects.exists()


def test_no_address_reaches_the_logs(municipality, afternoon, caplog):
    caplog.set_level(logging.DEBUG)
    batch = analysed(municipality, csv_bytes(messy_rows(EXISTING)))
    imports.confirm(batch.pk)
    imports.run(batch.pk)
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "import batch" in logged
    for secret in ("hana@example.jp", "taro@example.jp", LINE_ID, "2027-03-10"):
        assert secret not in logged


def test_imports_of_one_municipality_never_touch_another(municipality, afternoon):
    other = MunicipalityFactory(line_enabled=True)
    SubscriberFactory(municipality=other, email="hana@example.jp")
    raw = csv_bytes(messy_rows(EXISTING))
    mine = analysed(municipality, raw)
    theirs = analysed(other, raw)
    assert mine.rows.get(line=2).action == "create"  # the other's reader is no conflict here
    assert theirs.rows.get(line=2).action == "reject"
    imports.confirm(mine.pk)
    imports.run(mine.pk)
    again_there = analysed(other, raw)  # fingerprints are per municipality too
    assert again_there.already_imported == 0
    assert ImportBatch.objects.filter(municipality=other).count() == 2
