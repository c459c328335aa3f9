"""Each text version's way: draft → in review → approved or changes requested, and who may move it."""

import datetime

import pytest
import time_machine

from audit.models import AuditEvent
from content.models import StageMessage
from kizuna import clock
from reviews import services
from reviews.models import TextVersion
from tests.content.factories import BirthdayMessageFactory, StageMessageFactory
from tests.factories import MunicipalityFactory
from tests.reviews.conftest import make_reviewer

pytestmark = pytest.mark.django_db
State = TextVersion.State


def current(text) -> TextVersion:
    return TextVersion.objects.get(
        text_id=text.pk, current=True, text_type__model=text._meta.model_name
    )


def in_review(text, editor) -> TextVersion:
    return services.submit(current(text), user=editor)


def test_a_new_text_is_a_draft_version_with_its_content_hash(editor):
    text = StageMessageFactory()
    version = current(text)
    assert version.state == State.DRAFT
    assert version.content_hash == text.content_hash and len(version.content_hash) == 64
    assert version.stage_label == "妊娠20週" and version.track == "pregnancy"
    assert not StageMessage.objects.approved().exists()


def test_two_approvals_one_from_a_physician_approve_the_exact_version(
    editor, obstetrician, midwife
):
    text = StageMessageFactory()
    version = in_review(text, editor)
    assert version.state == State.IN_REVIEW
    version = services.decide(version, user=midwife, approve=True)
    assert version.state == State.IN_REVIEW  # one approval is not enough
    version = services.decide(version, user=obstetrician, approve=True, comment="問題ありません")
    assert version.state == State.APPROVED and version.approved_at is not None
    text.refresh_from_db()
    assert text.approved_hash == version.content_hash and text.is_approved
    assert not text.needs_medical_review
    assert list(StageMessage.objects.approved()) == [text]
    assert {(d.reviewer.user, d.verdict, d.content_hash) for d in version.decisions.all()} == {
        (midwife, "approve", version.content_hash),
        (obstetrician, "approve", version.content_hash),
    }
    assert [c.body for c in version.comments.all()] == ["問題ありません"]
    steps = list(
        AuditEvent.objects.filter(target="reviews.TextVersion", target_id=str(version.pk))
        .order_by("id")
        .values_list("detail__step", "detail__state")
    )
    assert steps == [
        ("review.submit", "in_review"),
        ("review.approve", None),
        ("review.comment", None),
        ("review.approve", None),
        ("review.state_changed", "approved"),
    ]


def test_two_approvals_without_a_physician_are_not_enough(editor, midwife, nurse):
    version = in_review(StageMessageFactory(), editor)
    services.decide(version, user=midwife, approve=True)
    version = services.decide(version, user=nurse, approve=True)
    assert version.state == State.IN_REVIEW
    assert services.requirement(services.current_decisions(version)).missing_groups == ["physician"]


def test_the_number_and_fields_needed_are_settings(settings, editor, midwife):
    settings.KIZUNA_REVIEW_APPROVALS = 1
    settings.KIZUNA_REVIEW_REQUIRED_FIELDS = ["midwife"]
    version = services.decide(in_review(StageMessageFactory(), editor), user=midwife, approve=True)
    assert version.state == State.APPROVED


def test_a_request_for_changes_needs_a_comment_and_stops_the_version(editor, obstetrician):
    version = in_review(StageMessageFactory(), editor)
    with pytest.raises(services.ReviewError, match="コメント"):
        services.decide(version, user=obstetrician, approve=False)
    version = services.decide(version, user=obstetrician, approve=False, comment="週数の表記を確認")
    assert version.state == State.CHANGES_REQUESTED
    with pytest.raises(services.ReviewError):
        services.decide(version, user=obstetrician, approve=True)


def test_an_edit_after_approval_goes_back_to_review_and_is_not_sendable(
    editor, obstetrician, midwife
):
    text = StageMessageFactory()
    version = in_review(text, editor)
    services.decide(version, user=midwife, approve=True)
    services.decide(version, user=obstetrician, approve=True)
    text.body += "\n追記しました。"
    text.save()
    new = current(text)
    assert new.pk != version.pk and new.state == State.IN_REVIEW
    assert not StageMessage.objects.approved().exists()
    version.refresh_from_db()
    assert version.state == State.APPROVED and not version.current  # its review stays with it
    # Back to the approved words: that review stands again.
    text.body = version.body
    text.save()
    assert current(text).pk == version.pk
    assert list(StageMessage.objects.approved()) == [text]


def test_an_edit_in_sql_is_not_sendable_either(editor, obstetrician, midwife):
    text = StageMessageFactory()
    version = in_review(text, editor)
    services.decide(version, user=midwife, approve=True)
    services.decide(version, user=obstetrician, approve=True)
    StageMessage.objects.filter(pk=text.pk).update(subject="妊娠20週：書き換え")
    assert not StageMessage.objects.approved().exists()


def test_only_reviewers_decide(editor):
    version = in_review(StageMessageFactory(), editor)
    with pytest.raises(services.ReviewError, match="監修者だけ"):
        services.decide(version, user=editor, approve=True)


def test_nobody_approves_their_own_edit(editor, obstetrician):
    text = StageMessageFactory()
    version = in_review(text, editor)
    TextVersion.objects.filter(pk=version.pk).update(edited_by=obstetrician)
    with pytest.raises(services.ReviewError, match="自分で編集した版"):
        services.decide(version, user=obstetrician, approve=True)
    assert not version.decisions.exists()


def test_only_editors_submit_and_only_drafts(editor, obstetrician):
    version = current(StageMessageFactory())
    with pytest.raises(services.ReviewError, match="権限"):
        services.submit(version, user=obstetrician)
    services.submit(version, user=editor)
    with pytest.raises(services.ReviewError, match="下書き"):
        services.submit(version, user=editor)


def test_a_municipalitys_reviewer_reviews_only_its_own_texts(editor):
    koto, other = MunicipalityFactory(), MunicipalityFactory()
    local = make_reviewer("koto-doctor", "paediatrician", tenant=koto)
    national = in_review(StageMessageFactory(), editor)
    with pytest.raises(services.ReviewError, match="担当の自治体"):
        services.decide(national, user=local, approve=True)
    own = current(BirthdayMessageFactory(municipality=koto))
    assert own.municipality == koto
    services.submit(own, user=editor)
    services.decide(own, user=local, approve=True)
    elsewhere = current(BirthdayMessageFactory(municipality=other, age_years=2))
    services.submit(elsewhere, user=editor)
    with pytest.raises(services.ReviewError):
        services.decide(elsewhere, user=local, approve=True)


def test_a_decision_on_a_version_read_before_an_edit_is_refused(editor, obstetrician):
    text = StageMessageFactory()
    version = in_review(text, editor)
    read = version.content_hash
    text.body += "\n変更"
    text.save()
    with pytest.raises(services.ReviewError, match="読んだ版"):
        services.decide(current(text), user=obstetrician, approve=True, content_hash=read)
    with pytest.raises(services.ReviewError, match="新しい版"):
        services.decide(version, user=obstetrician, approve=True)


def test_approved_texts_older_than_the_set_age_are_due_for_re_review(editor, obstetrician, midwife):
    with time_machine.travel(datetime.datetime(2025, 1, 10, 9, tzinfo=clock.TOKYO)):
        version = in_review(StageMessageFactory(), editor)
        services.decide(version, user=midwife, approve=True)
        services.decide(version, user=obstetrician, approve=True)
    with time_machine.travel(datetime.datetime(2025, 12, 1, 9, tzinfo=clock.TOKYO)):
        assert not services.due_for_re_review().exists()
    with time_machine.travel(datetime.datetime(2026, 1, 20, 9, tzinfo=clock.TOKYO)):
        assert list(services.due_for_re_review()) == [version]
        version = services.start_re_review(version, user=obstetrician)
        assert version.state == State.IN_REVIEW
        assert StageMessage.objects.approved().exists()  # still sent while it is re-read
        # A new round: the old approvals do not count again.
        version = services.decide(version, user=obstetrician, approve=True)
        assert version.state == State.IN_REVIEW
        version = services.decide(version, user=midwife, approve=True)
        assert version.state == State.APPROVED
        assert not services.due_for_re_review().exists()


def test_comments_stay_with_their_version(editor, obstetrician):
    text = StageMessageFactory()
    version = in_review(text, editor)
    services.add_comment(version, user=obstetrician, body="出典を確認しました")
    text.body += "\n変更"
    text.save()
    assert [c.body for c in version.comments.all()] == ["出典を確認しました"]
    assert not current(text).comments.exists()


def test_turning_the_gate_off_is_recorded_in_the_audit_trail(settings):
    settings.KIZUNA_SEND_ONLY_REVIEWED_DEFAULT = True
    municipality = MunicipalityFactory()
    assert municipality.send_only_reviewed is True
    assert not AuditEvent.objects.filter(detail__step__startswith="review.send").exists()
    municipality.send_only_reviewed = False
    municipality.save()
    event = AuditEvent.objects.filter(detail__step="review.send_unreviewed").get()
    assert event.target_id == str(municipality.pk)
    # Set up to send unreviewed texts from the start: recorded too.
    MunicipalityFactory(send_only_reviewed=False)
    assert AuditEvent.objects.filter(detail__step="review.send_unreviewed").count() == 2


def test_an_edit_after_approval_is_in_the_audit_trail(editor, obstetrician, midwife):
    text = StageMessageFactory()
    version = in_review(text, editor)
    services.decide(version, user=midwife, approve=True)
    services.decide(version, user=obstetrician, approve=True)
    text.body += "\n追記"
    text.save()
    event = AuditEvent.objects.get(detail__step="review.version")
    assert event.detail["state"] == "in_review" and event.detail["previous"] == version.short_hash


def test_a_deleted_text_leaves_its_versions_as_a_record_none_of_them_current(editor):
    text = StageMessageFactory()
    version = in_review(text, editor)
    text.delete()
    version.refresh_from_db()
    assert not version.current and version.state == State.IN_REVIEW
    assert not TextVersion.objects.current().exists()
