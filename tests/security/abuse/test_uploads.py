"""Upload bombs: every hostile file ends its batch as failed with a Japanese reason, its file
erased and no row kept, quickly and in little memory; a batch whose worker died is not read
again."""

import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from adoption import imports, readers_file, tasks
from adoption.models import ImportBatch, ImportRow
from municipalities.models import StaffMembership
from tests.staff.conftest import make_user

from . import bombs
from .tables import changed, row_counts

pytestmark = pytest.mark.django_db


def _refusal(raw: bytes, name: str, limits: readers_file.Limits | None = None):
    """The FileProblem ``load`` raises, with the seconds and traced megabytes it took."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(readers_file.FileProblem) as refused:
            readers_file.load(raw, name, limits)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return str(refused.value), time.perf_counter() - started, peak / 2**20


def test_an_xlsx_that_unpacks_to_300_mb_is_refused_before_it_is_opened():
    raw = bombs.xlsx_unpacking_to(300)
    assert len(raw) < 2 * 2**20  # what the upload form sees
    reason, seconds, megabytes = _refusal(raw, "名簿.xlsx")
    assert "Excelファイルの中身が大きすぎます（展開すると 286MB、上限 200MB）" in reason
    assert seconds < 1 and megabytes < 5


def test_a_sheet_stating_the_whole_grid_is_refused_by_its_cell_count():
    raw = bombs.xlsx_with_stated_size()
    assert len(raw) < 20_000
    limits = readers_file.Limits(max_rows=200_000, max_cells=300_000, max_xlsx_bytes=2**28)
    reason, seconds, megabytes = _refusal(raw, "名簿.xlsx", limits)
    assert "セルの数が多すぎます" in reason
    assert seconds < 30 and megabytes < 50


def test_wide_rows_are_refused_while_streaming(settings):
    settings.KIZUNA_IMPORT_MAX_CELLS = 50_000
    reason, _seconds, megabytes = _refusal(bombs.xlsx_wide_rows(100, 2_000), "名簿.xlsx")
    assert "セルの数が多すぎます（上限 50,000個）" in reason
    assert megabytes < 50


def test_more_rows_than_allowed_are_refused(settings):
    assert settings.KIZUNA_IMPORT_MAX_ROWS == 200_000
    reason, _seconds, _mb = _refusal(bombs.csv_rows(200_001), "名簿.csv")
    assert "行数が多すぎます（上限 200,000行）" in reason
    readers_file.load(bombs.csv_rows(1_000), "名簿.csv")  # a file within the limits loads


def test_a_nul_byte_is_refused_with_a_reason():
    reason, _seconds, _mb = _refusal(bombs.csv_with_nul(), "名簿.csv")
    assert "NUL" in reason


@pytest.fixture
def editor(municipality):
    user = make_user("koto-editor")
    StaffMembership.objects.create(user=user, municipality=municipality, role="editor")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("bomb.xlsx", lambda: bombs.xlsx_unpacking_to(300), "Excelファイルの中身が大きすぎます"),
        ("nul.csv", bombs.csv_with_nul, "NUL"),
        ("rows.csv", lambda: bombs.csv_rows(200_001), "行数が多すぎます"),
    ],
)
def test_a_hostile_upload_ends_failed_with_its_file_erased(
    name, make, reason, municipality, editor, eager_tasks, django_capture_on_commit_callbacks
):
    before = row_counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            reverse("adoption:upload", args=[municipality.pk]),
            {"source_name": "あおば子育てメール", "file": SimpleUploadedFile(name, make())},
        )
    batch = ImportBatch.objects.get()
    assert response.url == reverse("adoption:batch", args=[batch.pk])
    assert batch.status == ImportBatch.Status.FAILED
    assert reason in batch.error
    assert batch.file is None and not ImportRow.objects.exists()
    assert reason in editor.get(response.url).content.decode()
    assert set(changed(before, row_counts())) <= {"adoption_importbatch", "audit_auditevent"}


def test_an_oversized_upload_is_refused_by_the_form(municipality, editor, settings):
    settings.KIZUNA_IMPORT_MAX_BYTES = 1024 * 1024
    response = editor.post(
        reverse("adoption:upload", args=[municipality.pk]),
        {"source_name": "あおば", "file": SimpleUploadedFile("big.csv", b"a" * (2 * 1024 * 1024))},
    )
    assert response.status_code == 200
    assert "ファイルが大きすぎます（上限1MB）" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_batch_whose_worker_died_is_not_read_again(municipality):
    """A worker killed mid-analysis (out of memory, past its hard time limit) leaves the
    attempt counted; late acknowledgement delivers the task again, which ends the batch as
    failed instead of feeding the same file to the next worker."""
    batch = imports.start(
        municipality, raw=bombs.csv_rows(10), file_name="名簿.csv", source_name="あおば"
    )
    ImportBatch.objects.filter(pk=batch.pk).update(analysis_attempts=1)  # the dead worker's
    tasks.analyse_import(batch.pk)  # the redelivered task
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "途中で止まりました" in batch.error
    assert batch.file is None and not batch.rows.exists()
    tasks.analyse_import(batch.pk)  # and again: nothing changes
    batch.refresh_from_db()
    assert batch.analysis_attempts == 2 and batch.status == ImportBatch.Status.FAILED


def test_a_first_attempt_reads_the_file_and_counts_itself(municipality):
    batch = imports.start(
        municipality, raw=bombs.csv_rows(10), file_name="名簿.csv", source_name="あおば"
    )
    tasks.analyse_import(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED and batch.analysis_attempts == 1


def test_import_tasks_are_time_limited(settings):
    for task in (tasks.analyse_import, tasks.run_import):
        assert task.soft_time_limit == settings.KIZUNA_IMPORT_TIME_LIMIT_SECONDS
        assert task.time_limit > task.soft_time_limit
        assert task.acks_late  # redelivered after a crash: the attempt count stops a loop
