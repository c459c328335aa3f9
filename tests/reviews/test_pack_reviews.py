"""Git and database agree: approvals survive load_content and are written back to front matter."""

import shutil

import pytest
from django.core.management import call_command

from content.models import StageMessage
from content.pack import read_text
from content.services import load_pack
from reviews import services
from reviews.models import TextVersion
from reviews.packfile import write_back
from tests.reviews.test_send_gate import approve

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(tmp_path, settings):
    root = tmp_path / "packs"
    (root / "ja" / "pregnancy").mkdir(parents=True)
    source = __import__("content.pack", fromlist=["PACKS_DIR"]).PACKS_DIR
    for week in (20, 21):
        shutil.copy(source / "ja" / "pregnancy" / f"week-{week}.md", root / "ja" / "pregnancy")
    return root


def week(number: int) -> StageMessage:
    return StageMessage.objects.get(track="pregnancy", unit="week", number=number, language="ja")


def version_of(text) -> TextVersion:
    return TextVersion.objects.get(text_type__model="stagemessage", text_id=text.pk, current=True)


def test_an_unchanged_file_keeps_its_approval_and_a_changed_one_goes_back_to_review(pack):
    load_pack(root=pack)
    approve(week(20))
    approve(week(21))
    result = load_pack(root=pack)
    assert result.updated == 0 and result.unchanged == 2
    assert week(20).is_approved and week(21).is_approved

    path = pack / "ja" / "pregnancy" / "week-21.md"
    path.write_text(path.read_text().replace("## 赤ちゃんのようす", "## 赤ちゃんのようす（改訂）"))
    load_pack(root=pack)
    assert week(20).is_approved
    assert not week(21).is_approved
    assert version_of(week(21)).state == TextVersion.State.IN_REVIEW
    assert set(StageMessage.objects.approved()) == {week(20)}


def test_approvals_are_written_back_to_the_front_matter_and_read_by_the_pack_reader(pack):
    load_pack(root=pack)
    approve(week(20))
    results = write_back(root=pack)
    changed = {r.path.name for r in results if r.changed}
    assert changed == {"week-20.md"}  # week 21 stays pending, as its file already says
    path = pack / "ja" / "pregnancy" / "week-20.md"
    text = read_text(path, pack)
    assert text.problems == []
    assert text.medical_review == "done"
    source = path.read_text()
    version = version_of(week(20))
    assert f"review_version: {version.short_hash}" in source
    assert "gate-midwife（助産師）" in source and "gate-obstetrician（産婦人科医）" in source
    assert "reviewed_on: " in source
    # The body and the facts are untouched, so the approval still matches after a reload.
    result = load_pack(root=pack)
    assert result.updated == 0
    assert week(20).is_approved
    assert write_back(root=pack, dry_run=True)[0].changed is False


def test_an_edit_after_approval_writes_pending_back(pack):
    load_pack(root=pack)
    text = week(20)
    approve(text)
    write_back(root=pack)
    text.body += "\n\n## 追記\nあとから足した一文。"
    text.save()
    write_back(root=pack)
    source = (pack / "ja" / "pregnancy" / "week-20.md").read_text()
    assert "medical_review: pending" in source and "reviewed_by" not in source


def test_the_command_writes_back(pack, monkeypatch, capsys):
    monkeypatch.setattr("reviews.packfile.PACKS_DIR", pack)
    monkeypatch.setattr(
        "reviews.management.commands.write_reviews.write_back",
        lambda dry_run=False: write_back(root=pack, dry_run=dry_run),
    )
    load_pack(root=pack)
    approve(week(20))
    call_command("write_reviews", "--dry-run")
    assert "1 件のファイルが変わります" in capsys.readouterr().out
    assert "medical_review: pending" in (pack / "ja" / "pregnancy" / "week-20.md").read_text()
    call_command("write_reviews")
    assert "medical_review: done" in (pack / "ja" / "pregnancy" / "week-20.md").read_text()


def test_services_are_unchanged_by_a_reload_of_the_whole_pack():
    load_pack(language="ja")
    assert (
        TextVersion.objects.current().count()
        == StageMessage.objects.filter(language="ja").count()
        + TextVersion.objects.current().exclude(text_type__model="stagemessage").count()
    )
    assert services.record_all_versions() == 0


def test_a_fresh_database_takes_the_approvals_written_back_to_the_pack(pack, monkeypatch):
    monkeypatch.setattr("content.pack.PACKS_DIR", pack)  # the pack loaded as the repository's
    load_pack(root=pack)
    approve(week(20))
    write_back(root=pack)
    written = (pack / "ja" / "pregnancy" / "week-20.md").read_text()
    # Another installation: the same files, a database without reviews.
    StageMessage.objects.all().delete()
    TextVersion.objects.all().delete()
    load_pack(root=pack)
    version = version_of(week(20))
    assert version.state == TextVersion.State.APPROVED
    assert version.approved_by_names == [
        "gate-midwife（助産師）",
        "gate-obstetrician（産婦人科医）",
    ]
    assert week(20).is_approved and not week(21).is_approved
    # Written back again, the file says the same.
    write_back(root=pack)
    assert (pack / "ja" / "pregnancy" / "week-20.md").read_text() == written


def test_a_file_whose_text_changed_after_the_write_back_is_not_taken_as_approved(pack, monkeypatch):
    monkeypatch.setattr("content.pack.PACKS_DIR", pack)
    load_pack(root=pack)
    approve(week(20))
    write_back(root=pack)
    path = pack / "ja" / "pregnancy" / "week-20.md"
    path.write_text(path.read_text().replace("## 赤ちゃんのようす", "## 赤ちゃんのようす（改）"))
    StageMessage.objects.all().delete()
    TextVersion.objects.all().delete()
    load_pack(root=pack)
    assert version_of(week(20)).state == TextVersion.State.DRAFT
    assert not week(20).is_approved


def test_the_whole_pack_loaded_in_bulk_records_a_version_of_every_text_in_a_few_statements(
    tmp_path, django_assert_max_num_queries
):
    from content.models import BirthdayMessage, SpecialMessage
    from content.pack import PACKS_DIR

    root = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, root)
    # The loader writes in bulk (no post_save); content.signals.texts_written carries the rows.
    with django_assert_max_num_queries(60):
        result = load_pack(root=root)
    texts = StageMessage.objects.count() + SpecialMessage.objects.count()
    texts += BirthdayMessage.objects.count()
    assert result.created == texts > 700
    assert TextVersion.objects.current().count() == texts
    assert set(TextVersion.objects.values_list("state", flat=True)) == {"draft"}
    day = StageMessage.objects.get(track="pregnancy", unit="day", number=143, language="ja")
    assert version_of(day).content_hash == day.content_hash
    assert version_of(day).stage_label == "妊娠20週3日"

    # An approved text edited in the pack goes back to review through the same bulk path.
    approve(day)
    path = root / "ja" / "pregnancy" / "day-143.md"
    path.write_text(path.read_text().replace("## 赤ちゃんのようす", "## 赤ちゃんのようす（改訂）"))
    with django_assert_max_num_queries(60):
        assert load_pack(root=root).updated == 1
    day.refresh_from_db()
    assert not day.is_approved and not StageMessage.objects.filter(pk=day.pk).approved().exists()
    assert version_of(day).state == TextVersion.State.IN_REVIEW
    assert TextVersion.objects.filter(text_id=day.pk, text_type__model="stagemessage").count() == 2
