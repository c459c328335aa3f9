"""Clinical rules of the pack (issue 30): what every family must be told, wherever it applies.

Each rule reads the texts as families get them, so a later text that breaks it fails here.
"""

import pytest

from content.pack import iter_pack_files, read_text
from content.stages import Stage, Track, Unit

TEXTS = [read_text(path) for path in iter_pack_files()]
JA = [t for t in TEXTS if t.language == "ja"]
CRISIS_LINE = "0120-279-338"


def _ja_stage(track, unit, number, audience="everyone"):
    stage = Stage(Track(track), Unit(unit), number)
    (text,) = [t for t in JA if t.stage == stage and t.audience == audience]
    return text


def _ja_special(kind):
    (text,) = [t for t in JA if t.kind == "special" and t.special_kind == kind]
    return text


def test_week_28_calls_the_rsv_vaccine_a_routine_vaccination_with_its_window():
    body = _ja_stage("pregnancy", "week", 28).body
    assert "定期接種" in body
    assert "28週0日" in body and "36週6日" in body and "1回" in body


@pytest.mark.parametrize("week", [30, 31, 32, 33, 34])
def test_weeks_30_to_34_remind_about_the_rsv_vaccine_before_36_weeks_6_days(week):
    body = _ja_stage("pregnancy", "week", week).body
    assert "RSウイルス" in body and "36週6日" in body


MOTHER_SIGNS = ("出血", "熱", "頭痛", "脚", "胸の痛み", "119")
FIRST_WEEKS = [("day", n) for n in (4, 5, 6)] + [("week", n) for n in (1, 2, 3)] + [("month", 1)]


@pytest.mark.parametrize(("unit", "number"), FIRST_WEEKS)
def test_the_first_weeks_give_the_mother_her_own_warning_signs_and_when_to_call_119(unit, number):
    body = _ja_stage("child", unit, number).body
    missing = [sign for sign in MOTHER_SIGNS if sign not in body]
    assert not missing, missing


def test_the_birth_message_gives_the_mother_her_own_warning_signs():
    body = _ja_special("birth").body
    assert all(sign in body for sign in MOTHER_SIGNS)
    assert "傷つけてしまいそう" in body


@pytest.mark.parametrize(
    "text",
    [t for t in JA if "産後うつ" in t.body or "落ち込み" in t.body],
    ids=lambda t: t.relative_path,
)
def test_every_passage_on_postpartum_depression_gives_119_and_a_24_hour_line(text):
    assert "119" in text.body
    assert CRISIS_LINE in text.body and "24時間" in text.body


def test_the_partner_texts_on_postpartum_depression_are_among_those_checked():
    checked = {t.relative_path for t in JA if "産後うつ" in t.body}
    assert any("/partner/" in path for path in checked)
    assert any("/grandparent/" in path for path in checked)


@pytest.mark.parametrize("text", [t for t in TEXTS if t.facts], ids=lambda t: t.relative_path)
def test_facts_name_a_source_not_a_placeholder(text):
    for fact in text.facts:
        assert len(fact) >= 8, fact


LOSS_KINDS = ("loss", "loss-pregnancy", "loss-stillbirth", "loss-child")


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_the_loss_messages_assume_no_partner_and_give_a_24_hour_line(language, kind):
    (text,) = [
        t
        for t in TEXTS
        if t.language == language and t.kind == "special" and t.special_kind == kind
    ]
    for word in ("パートナー", "夫婦", "ご主人", "partner", "husband"):
        assert word not in text.body.lower()
    assert CRISIS_LINE in text.body and "119" in text.body


@pytest.mark.parametrize("kind", ["loss-pregnancy", "loss-stillbirth"])
def test_a_late_loss_gets_help_with_breast_milk_and_the_entitlements_that_still_apply(kind):
    body = _ja_special(kind).body
    assert "母乳" in body
    assert "妊婦のための支援給付" in body
    assert "出産育児一時金" in body and "産後休業" in body
    assert "死産届" in body


def test_a_childs_death_gets_help_with_breastfeeding_and_the_paperwork():
    body = _ja_special("loss-child").body
    assert "授乳" in body and "死亡届" in body and "産後休業" in body
