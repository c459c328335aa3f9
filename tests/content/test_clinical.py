"""Clinical rules of the pack (issue 30): what every family must be told, wherever it applies.

Each rule reads the texts as families get them, so a later text that breaks it fails here.
"""

import re

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


# Facts that changed in 2021–2026 (item 4, 5, 6) -------------------------------------------------


def test_vitamin_k2_three_month_method_is_the_standard():
    body = _ja_stage("child", "week", 1).body
    assert "3か月まで" in body and "13回" in body and "標準" in body
    assert "病院もあります" not in body


def test_child_allowance_has_no_income_limit():
    assert "所得制限なし" in _ja_stage("child", "week", 1).body


@pytest.mark.parametrize("where", [("pregnancy", "week", 8), ("pregnancy", "week", 31)])
def test_the_pregnancy_support_payment_is_named_where_it_is_claimed(where):
    body = _ja_stage(*where).body
    assert "妊婦のための支援給付" in body and "5万円" in body


def test_the_childbirth_grant_is_marked_as_time_sensitive():
    text = _ja_stage("pregnancy", "week", 31)
    assert "時点" in text.body and "変わります" in text.body
    assert any(fact.startswith("時期に依存") for fact in text.facts)


def test_the_names_reading_is_recorded_in_the_family_register():
    assert "振り仮名" in _ja_stage("pregnancy", "week", 35, audience="partner").body


@pytest.mark.parametrize("month", [6, 32])
def test_the_nursery_for_every_child_is_offered_from_six_months(month):
    assert "こども誰でも通園制度" in _ja_stage("child", "month", month).body


@pytest.mark.parametrize(
    ("where", "words"),
    [
        (("child", "month", 36), ("日本脳炎",)),
        (("pregnancy", "week", 27), ("インフルエンザ", "どの時期でも")),
        (("child", "month", 5), ("遅らせる必要はありません",)),
        (("child", "month", 6), ("卵黄", "遅らせる必要はありません", "フッ化物", "米粒")),
        (("child", "month", 8), ("フッ化物", "米粒")),
        (("pregnancy", "week", 36), ("35〜37週", "すべての妊婦", "GBS")),
        (("child", "month", 29), ("夏から秋",)),
        (("pregnancy", "week", 10), ("認証施設",)),
    ],
)
def test_the_schedule_texts_carry_the_current_recommendations(where, words):
    body = _ja_stage(*where).body
    assert all(word in body for word in words), [w for w in words if w not in body]


@pytest.mark.parametrize("audience", ["everyone", "partner"])
def test_the_fetus_is_measured_one_way_and_never_crown_to_heel(audience):
    bodies = [t.body for t in JA if t.stage and t.stage.track == Track.PREGNANCY]
    assert not [b for b in bodies if "かかとまで" in b or "身長" in b]
    assert "頭からおしりまで" in _ja_stage("pregnancy", "week", 20, audience=audience).body


def test_partner_and_everyone_texts_give_the_same_fetal_weight():
    weight = re.compile(r"[0-9,〜]+g")
    for week in range(16, 41):
        everyone = weight.findall(_ja_stage("pregnancy", "week", week).body)
        partner = weight.findall(_ja_stage("pregnancy", "week", week, audience="partner").body)
        if everyone and partner:
            assert everyone[0] == partner[0], week


# Safety wording (item 7) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [t for t in JA if "3か月未満" in t.body and "38℃" in t.body],
    ids=lambda t: t.relative_path,
)
def test_a_fever_under_three_months_means_a_doctor_at_once_even_at_night(text):
    assert "すぐ" in text.body and "夜間" in text.body
    assert "早めに受診" not in text.body


@pytest.mark.parametrize(
    ("where", "words"),
    [
        (("child", "month", 21), ("背部叩打法", "スピーカー", "119番")),
        (("child", "month", 2), ("腸重積", "血の混じった便")),
        (("child", "month", 3), ("修正月齢", "生まれた日から数えた月齢")),
        (("child", "month", 5), ("修正月齢",)),
        (("child", "month", 10), ("072-727-2499", "029-852-9999", "#8000")),
        (("child", "month", 35), ("072-727-2499", "029-852-9999", "#8000")),
        (("child", "day", 1), ("70℃以上",)),
        (("child", "month", 1), ("コアラ抱っこ", "M字")),
    ],
)
def test_the_safety_passages_say_what_to_do(where, words):
    body = _ja_stage(*where).body
    assert all(word in body for word in words), [w for w in words if w not in body]


def test_the_birth_message_explains_corrected_age_for_preterm_babies():
    assert "修正月齢" in _ja_special("birth").body


# Care (item 9) ---------------------------------------------------------------------------------


def test_week_4_acknowledges_pregnancies_after_fertility_treatment():
    assert "不妊治療" in _ja_stage("pregnancy", "week", 4).body


@pytest.mark.parametrize("month", [2, 7])
def test_sleep_advice_has_a_line_for_single_parents(month):
    assert "ひとりで育てている" in _ja_stage("child", "month", month).body


def test_the_partner_text_on_drinking_recommends_rather_than_presumes():
    body = _ja_stage("pregnancy", "week", 17, audience="partner").body
    assert "控えています" not in body and "すすめられています" in body


@pytest.mark.parametrize(
    "where", [("pregnancy", "week", 12), ("child", "day", 1), ("child", "day", 5)]
)
def test_twins_get_their_own_lines_where_care_differs(where):
    assert "双子" in _ja_stage(*where).body


def test_grandparent_texts_leave_decisions_to_the_parents_without_assuming_a_couple():
    grandparent = [t for t in JA if t.audience == "grandparent"]
    assert not [t.relative_path for t in grandparent if "夫婦" in t.body + t.subject]
    assert not [t.relative_path for t in grandparent if "お母さん" in t.body + t.subject]


# English texts (item 11): their own texts for foreign residents, with the same safety numbers --


_NUMBERS = re.compile(r"\d{2,4}-\d{3,4}-\d{3,4}|#\d{4}|119")


def _same_text_in(language, text):
    return [
        t
        for t in TEXTS
        if t.language == language
        and (t.kind, t.stage, t.special_kind, t.age_years, t.audience)
        == (text.kind, text.stage, text.special_kind, text.age_years, "everyone")
    ]


@pytest.mark.parametrize(
    "text",
    # Daily steps have no English text (an English reader gets the weekly and monthly anchors
    # only); every anchor has one, which the pack's completeness tests check.
    [
        t
        for t in JA
        if t.audience == "everyone" and _NUMBERS.search(t.body) and _same_text_in("en", t)
    ],
    ids=lambda t: t.relative_path,
)
def test_every_number_to_call_in_a_japanese_text_is_in_its_english_text(text):
    (english,) = _same_text_in("en", text)
    missing = set(_NUMBERS.findall(text.body)) - set(_NUMBERS.findall(english.body))
    assert not missing, f"{english.relative_path} lacks {sorted(missing)}"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("pregnancy/week-28", ("routine", "28 weeks 0 days", "36 weeks 6 days")),
        ("child/week-1", ("3-month method", "13 doses", "income limit")),
        ("pregnancy/week-8", ("pregnancy support payment",)),
        ("pregnancy/week-19", ("as of December 2026",)),
        ("pregnancy/week-16", ("資格確認書",)),
        ("pregnancy/week-33", ("35 and 37", "every pregnant person")),
        ("pregnancy/week-20", ("head to bottom",)),
        ("pregnancy/week-27", ("flu vaccine",)),
        ("child/month-36", ("Japanese encephalitis",)),
        ("child/month-6", ("こども誰でも通園制度", "egg yolk", "first tooth")),
        ("child/month-29", ("summer and autumn",)),
        ("child/month-2", ("intussusception", "parenting alone")),
        ("child/month-3", ("corrected age",)),
        ("child/month-21", ("shoulder blades", "speakerphone")),
        ("child/day-1", ("70°C", "twins")),
        ("child/month-1", ("koala", "even at night")),
        ("pregnancy/week-4", ("fertility treatment",)),
    ],
)
def test_the_english_texts_carry_the_clinical_revision(path, words):
    (english,) = [t for t in TEXTS if t.relative_path == f"content/packs/en/{path}.md"]
    assert all(word in english.body for word in words), [w for w in words if w not in english.body]


def test_no_english_pregnancy_text_measures_the_baby_from_head_to_heel():
    english = [
        t for t in TEXTS if t.language == "en" and t.stage and t.stage.track == Track.PREGNANCY
    ]
    assert not [t.relative_path for t in english if "head to heel" in t.body]
    later = [t for t in english if t.stage.number >= 21]
    assert not [t.relative_path for t in later if "centimetres long" in t.body]
