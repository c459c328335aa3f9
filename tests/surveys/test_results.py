"""Results on answers whose counts are known: percentages, 満足度, breakdowns and CSV exports."""

import csv
import datetime
import io
from decimal import Decimal

import pytest

from surveys import exports, services
from surveys.models import Survey
from surveys.selectors import percent, published_years, survey_results
from tests.delivery.conftest import due_for, family
from tests.factories import SubscriptionFactory

from .conftest import TODAY, make_survey, questions_of

# (relationship, stage, satisfaction, frequency, useful, comment)
ANSWERS = [
    ("self", "mid", 5, 1, [1, 2], '=HYPERLINK("http://example.invalid","押して")'),
    ("self", "mid", 5, 1, [1], "毎日楽しみにしています"),
    ("self", "mid", 5, 1, [2, 3], ""),
    ("self", "mid", 5, 2, [], ""),
    ("self", "mid", 4, 2, [], ""),
    ("self", "mid", 4, 2, [], ""),
    ("partner", "mid", 4, 2, [1], ""),
    ("partner", "mid", 3, 2, [], ""),
    ("self", "infant", 4, 2, [], ""),
    ("self", "infant", 1, 3, [], ""),
]


@pytest.fixture
def answered(town, survey, now):
    pregnancy = family(town, due=due_for(20, TODAY)).child
    infant = family(town, birth=TODAY - datetime.timedelta(days=130)).child
    s, f, u, c = questions_of(survey)
    for relationship, stage, satisfaction, frequency, useful, comment in ANSWERS:
        child = pregnancy if stage == "mid" else infant
        reader = SubscriptionFactory(
            subscriber__municipality=town,
            subscriber__relationship=relationship,
            subscriber__nickname="ひみつ",
            child=child,
        ).subscriber
        services.submit_response(
            survey,
            reader,
            {s.pk: satisfaction, f.pk: frequency, u.pk: useful, c.pk: comment},
        )
    return survey


def counts(result):
    return [(o.label, o.count, o.percent) for o in result.options]


def test_percent_rounds_half_up_to_one_decimal():
    assert percent(8, 10) == Decimal("80.0")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 16) == Decimal("6.3")  # 6.25: half up, not to even
    assert percent(0, 0) is None


def test_counts_and_satisfaction_overall(answered):
    results = survey_results(answered)
    satisfaction, frequency, useful, comment = results.questions

    assert results.responses == 10
    assert counts(satisfaction) == [
        ("満足", 4, Decimal("40.0")),
        ("やや満足", 4, Decimal("40.0")),
        ("どちらともいえない", 1, Decimal("10.0")),
        ("やや不満", 0, Decimal("0.0")),
        ("不満", 1, Decimal("10.0")),
    ]
    assert (satisfaction.satisfied, satisfaction.satisfied_percent) == (8, Decimal("80.0"))
    assert results.satisfied_percent == Decimal("80.0")
    assert counts(frequency) == [
        ("毎回読む", 3, Decimal("30.0")),
        ("ときどき読む", 6, Decimal("60.0")),
        ("ほとんど読まない", 1, Decimal("10.0")),
    ]
    # Multiple choice: of the 4 who answered it, so the percentages add up to more than 100.
    assert (useful.answered, useful.unanswered) == (4, 6)
    assert counts(useful) == [
        ("赤ちゃんの成長", 3, Decimal("75.0")),
        ("健診・予防接種", 2, Decimal("50.0")),
        ("地域のイベント", 1, Decimal("25.0")),
    ]
    assert [bar.width for bar in satisfaction.bars] == [120, 120, 30, 0, 30]
    assert comment.answered == 2
    assert sorted(t.text for t in comment.texts) == sorted(
        ['=HYPERLINK("http://example.invalid","押して")', "毎日楽しみにしています"]
    )


def test_breakdowns_by_stage_and_relationship(answered):
    satisfaction = survey_results(answered).questions[0]

    by_stage = {row.label: row for row in satisfaction.by_stage}
    assert list(by_stage) == ["妊娠中期（14〜27週）", "生後3〜5か月"]
    assert by_stage["妊娠中期（14〜27週）"].answered == 8
    assert by_stage["妊娠中期（14〜27週）"].satisfied_percent == Decimal("87.5")
    assert [o.count for o in by_stage["生後3〜5か月"].options] == [0, 1, 0, 0, 1]
    assert by_stage["生後3〜5か月"].satisfied_percent == Decimal("50.0")
    by_relationship = {row.label: row for row in satisfaction.by_relationship}
    assert list(by_relationship) == ["本人（妊娠中・出産した方）", "パートナー"]
    assert by_relationship["本人（妊娠中・出産した方）"].satisfied_percent == Decimal("87.5")
    assert by_relationship["パートナー"].satisfied_percent == Decimal("50.0")


def test_results_of_a_survey_without_answers(survey, now):
    results = survey_results(survey)
    assert results.responses == 0 and results.satisfied_percent is None
    assert all(q.answered == 0 for q in results.questions)
    assert results.questions[0].options[0].percent is None


def _rows(body: str) -> list[list[str]]:
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline="")))


def test_responses_csv_opens_in_excel_and_holds_no_personal_data(answered):
    body = exports.responses_csv(answered)

    assert body.startswith("\ufeff回答ID,回答日,回答時の時期,続柄,")
    assert body.count("\r\n") == 11 and "\n" not in body.replace("\r\n", "")
    header, *rows = _rows(body)
    assert header[4:] == [q.text for q in questions_of(answered)]
    assert len(rows) == 10
    first = rows[0]
    assert first[1:4] == ["2026-11-24", "妊娠中期（14〜27週）", "本人（妊娠中・出産した方）"]
    assert first[4:7] == ["満足", "毎回読む", "赤ちゃんの成長／健診・予防接種"]
    # A formula typed as an answer stays text in a spreadsheet.
    assert first[7] == '\'=HYPERLINK("http://example.invalid","押して")'
    for email in answered.responses.values_list("subscriber__email", flat=True):
        assert email not in body
    assert "ひみつ" not in body


def test_summary_csv_has_counts_percentages_and_satisfaction(answered):
    body = exports.summary_csv(survey_results(answered, with_texts=False))

    assert body.startswith("\ufeff") and "\r\n" in body
    rows = _rows(body)
    assert ["回答数", "10"] in rows
    question = "メールの内容に満足していますか"
    assert [question, "全体", "", "満足度（満足＋やや満足）", "8", "80.0", "10"] in rows
    assert [question, "全体", "", "不満", "1", "10.0", "10"] in rows
    assert [question, "時期", "生後3〜5か月", "満足度（満足＋やや満足）", "1", "50.0", "2"] in rows
    assert [question, "続柄", "パートナー", "どちらともいえない", "1", "50.0", "2"] in rows
    assert ["役に立った情報（いくつでも）", "全体", "", "赤ちゃんの成長", "3", "75.0", "4"] in rows
    assert "毎日楽しみにしています" not in body  # free text only in the per-response file


def test_published_years_list_each_year_s_satisfaction(answered, town):
    older = make_survey(
        town,
        fiscal_year=2025,
        opens_on=datetime.date(2025, 11, 1),
        closes_on=datetime.date(2025, 11, 30),
        public_results=True,
    )
    Survey.objects.filter(pk=answered.pk).update(public_results=True)

    years = published_years(Survey.objects.for_municipality(town).order_by("-fiscal_year"))

    assert [(y.survey.wareki, y.responses, y.satisfied_percent) for y in years] == [
        ("令和8年度", 10, Decimal("80.0")),
        ("令和7年度", 0, None),
    ]
    assert list(Survey.objects.published_results(TODAY)) == [older]  # this year's is still open
