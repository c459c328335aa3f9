"""A translation needs a native speaker's approval besides the medical one (やさしい日本語 does not)."""

import pytest
from django.contrib.auth.models import Group, User

from municipalities.models import CONTENT_EDITORS_GROUP
from reviews import services
from reviews.models import Reviewer, TextVersion
from tests.delivery.conftest import due_for, family, stage_text
from tests.reviews.conftest import make_reviewer
from tests.reviews.test_send_gate import send

pytestmark = pytest.mark.django_db


def _translator(name: str, languages: list[str]) -> User:
    user = make_reviewer(name, "translator")
    Reviewer.objects.filter(user=user).update(languages=languages)
    return user


def _in_review(text) -> TextVersion:
    editor = User.objects.create_user(f"editor-{text.pk}", is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name=CONTENT_EDITORS_GROUP)[0])
    version = TextVersion.objects.get(
        text_type__model=text._meta.model_name, text_id=text.pk, current=True
    )
    return services.submit(version, user=editor)


def _medical(version: TextVersion) -> TextVersion:
    for name, field in (("midwife-t", "midwife"), ("obstetrician-t", "obstetrician")):
        user = User.objects.filter(username=name).first() or make_reviewer(name, field)
        version = services.decide(version, user=user, approve=True)
    return version


def test_a_translation_waits_for_a_native_speaker_of_its_language(db):
    version = _medical(_in_review(stage_text("pregnancy", "week", 20, language="vi")))
    assert version.state == TextVersion.State.IN_REVIEW
    assert services.requirement(services.current_decisions(version), "vi").missing_groups == [
        "translator"
    ]
    with pytest.raises(services.ReviewError, match="この言語の翻訳を確認する担当ではありません"):
        services.decide(version, user=_translator("nepali-reader", ["ne"]), approve=True)
    version = services.decide(version, user=_translator("viet-reader", ["vi"]), approve=True)
    assert version.state == TextVersion.State.APPROVED


def test_easy_japanese_is_reviewed_as_japanese(db):
    version = _medical(_in_review(stage_text("pregnancy", "week", 20, language="ja-easy")))
    assert version.state == TextVersion.State.APPROVED
    with pytest.raises(services.ReviewError):
        services.decide(version, user=_translator("viet-reader", ["vi"]), approve=True)


def test_where_only_reviewed_texts_go_out_an_unconfirmed_translation_is_not_sent(
    municipality, smtp, morning
):
    municipality.send_only_reviewed = True
    municipality.save()
    japanese = stage_text("pregnancy", "week", 20, body="## 日本語\n監修済みの日本語です。")
    vietnamese = stage_text("pregnancy", "week", 20, language="vi", body="## Em bé\nTiếng Việt.")
    _medical(_in_review(japanese))
    version = _medical(_in_review(vietnamese))
    family(municipality, due=due_for(20), language="vi", email="lan@example.jp")
    assert send(municipality).outcomes == {"sent": 1}
    body = smtp.messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "監修済みの日本語です。" in body and "Tiếng Việt." not in body

    services.decide(version, user=_translator("viet-reader", ["vi"]), approve=True)
    family(municipality, due=due_for(20), language="vi", email="mai@example.jp")
    assert send(municipality).outcomes == {"sent": 1}
    body = smtp.messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Tiếng Việt." in body
