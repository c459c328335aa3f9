"""The report's figures against families with known counts: fiscal-year edges, the small-count
rule, coverage against births, weeks at registration, retention, unsubscribes, losses, sends."""

import datetime

from delivery.models import DayCount
from kizuna import clock
from kizuna.report_sections import SECTIONS, ReportSection, SectionCounts, register_section
from reports import selectors
from reports.cells import Count, Share
from reports.models import BirthCount
from reports.yearly import yearly_report
from subscribers.models import Child

from .conftest import NOW, at, families, family

D = datetime.date


def test_a_family_registered_on_march_31_counts_in_the_year_ending_then_and_april_1_in_the_next(
    town, now
):
    family(town, registered=at(2026, 3, 31, 23, 59), due=D(2026, 9, 1))
    family(town, registered=at(2026, 4, 1, 0, 0), due=D(2026, 9, 1))
    family(town, registered=at(2026, 4, 1, 0, 0), due=D(2026, 9, 1))
    family(town, registered=at(2025, 3, 31, 23, 59), due=D(2025, 9, 1))  # FY2024

    assert selectors.registrations(town, 2025).families == 1
    assert selectors.registrations(town, 2026).families == 2
    assert selectors.registrations(town, 2024).families == 1
    # Cohorts by month in Japan: 3/31 23:59 JST is March, not April (UTC would say 3/31 14:59).
    assert [(c.month, c.readers) for c in selectors.cohorts(town, 2025)] == [(D(2026, 3, 1), 1)]
    assert [(c.month, c.readers) for c in selectors.cohorts(town, 2026)] == [(D(2026, 4, 1), 2)]


def test_births_on_march_31_and_april_1_fall_in_their_own_fiscal_years(town, now):
    family(town, registered=at(2026, 1, 5), due=D(2026, 4, 2), birth=D(2026, 3, 31))
    family(town, registered=at(2026, 1, 5), due=D(2026, 4, 2), birth=D(2026, 4, 1))
    family(town, registered=at(2026, 1, 5), due=D(2026, 4, 2), birth=D(2026, 4, 1))
    # Not confirmed: not a registered family.
    family(town, registered=at(2026, 1, 5), due=D(2026, 4, 2), birth=D(2026, 4, 1), confirmed=False)

    assert selectors.born_and_registered(town, 2025) == 1
    assert selectors.born_and_registered(town, 2026) == 2


def test_pregnancy_week_at_registration_by_channel_and_by_flyer_tag(town, now):
    registered = at(2026, 6, 1)
    day = registered.date()

    def due_at_week(week):
        return day + datetime.timedelta(days=280 - 7 * week)

    families(town, 3, registered=registered, due=due_at_week(8), tag="boshitecho")  # to 11
    families(town, 2, registered=registered, due=due_at_week(11), channel="line")  # to 11
    families(town, 4, registered=registered, due=due_at_week(12), tag="boshitecho")  # 12–19
    families(town, 1, registered=registered, due=due_at_week(20), channel="line")  # 20–27
    families(town, 5, registered=registered, due=due_at_week(30), source="invite")  # 28+
    families(
        town, 6, registered=registered, due=D(2026, 5, 20), birth=D(2026, 5, 18), tag="kenshin"
    )  # after birth

    figures = selectors.registrations(town, 2026)
    assert figures.families == 21
    assert figures.in_pregnancy == 15
    assert figures.before_week_20 == 9
    assert figures.by_channel[("to11", "email")] == 3
    assert figures.by_channel[("to11", "line")] == 2
    assert figures.by_channel[("after_birth", "email")] == 6
    assert figures.by_source[("to11", "boshitecho")] == 3
    assert figures.by_source[("12to19", "boshitecho")] == 4
    assert figures.by_source[("from28", "家族の招待")] == 5
    assert figures.by_source[("after_birth", "kenshin")] == 6
    assert figures.by_source[("to11", selectors.NO_TAG)] == 2


def test_retention_counts_only_readers_for_whom_the_months_have_passed(town, now):
    # Registered 2026-04-10: 3 and 6 months have passed by 2026-12-03, 12 have not.
    start = at(2026, 4, 10)
    families(town, 8, registered=start, due=D(2026, 10, 1))
    families(town, 1, registered=start, due=D(2026, 10, 1), left=at(2026, 5, 1))  # gone by 3
    families(town, 3, registered=start, due=D(2026, 10, 1), left=at(2026, 8, 1))  # gone by 6
    # Registered 2026-09-15: 3 months (2026-12-15) have not passed yet.
    families(town, 4, registered=at(2026, 9, 15), due=D(2027, 1, 1))

    april, september = selectors.cohorts(town, 2026, now=NOW)
    assert april.readers == 12
    assert (april.due[3], april.kept[3]) == (12, 11)
    assert (april.due[6], april.kept[6]) == (12, 8)
    assert april.due[12] == 0
    assert (september.readers, september.due[3]) == (4, 0)


def test_unsubscribes_by_reason_and_stage_the_reader_written_comment_is_not_a_reason(town, now):
    families(
        town,
        2,
        registered=at(2026, 4, 1),
        due=D(2026, 12, 20),
        left=at(2026, 6, 1),
        reason="配信が多い",
    )
    family(
        town,
        registered=at(2026, 4, 1),
        due=D(2026, 12, 20),
        left=at(2026, 6, 1),
        reason="配信が多い / 毎日は多すぎます",
    )
    family(
        town,
        registered=at(2025, 4, 1),
        birth=D(2025, 5, 1),
        left=at(2026, 7, 1),
        reason="引っ越した",
    )
    family(town, registered=at(2025, 4, 1), birth=D(2025, 5, 1), left=at(2026, 7, 1))
    family(town, registered=at(2025, 4, 1), birth=D(2025, 5, 1), left=at(2026, 3, 31, 23))

    counts = selectors.unsubscribes(town, 2026)
    assert counts[("配信が多い", "pregnancy")] == 3
    assert counts[("引っ越した", "age1")] == 1
    assert counts[(selectors.NO_REASON, "age1")] == 1
    assert sum(counts.values()) == 5


def test_losses_and_messages_sent_by_channel(town, now):
    for _ in range(2):
        family(
            town,
            registered=at(2026, 4, 3),
            due=D(2026, 11, 1),
            status=Child.Status.LOST,
            loss=Child.Loss.MISCARRIAGE,
            status_changed=at(2026, 6, 1),
        )
    family(
        town,
        registered=at(2025, 4, 3),
        due=D(2025, 11, 1),
        status=Child.Status.LOST,
        loss=Child.Loss.STILLBIRTH,
        status_changed=at(2026, 3, 31, 23),
    )
    for day, channel, status, count in [
        (D(2026, 4, 1), "email", "sent", 100),
        (D(2026, 11, 30), "email", "sent", 50),
        (D(2026, 11, 30), "line", "sent", 70),
        (D(2026, 11, 30), "line", "failed", 5),
        (D(2026, 3, 31), "email", "sent", 999),
    ]:
        DayCount.objects.create(
            day=day, municipality=town, channel=channel, status=status, count=count, counted_at=NOW
        )

    assert selectors.losses(town, 2026) == {"miscarriage": 2}
    assert selectors.losses(town, 2025) == {"stillbirth": 1}
    assert selectors.sent(town, 2026) == {"email": 150, "line": 70}
    assert selectors.sent(town, 2025) == {"email": 999, "line": 0}


def test_cells_under_ten_read_10未満_and_shares_built_on_them_are_not_shown():
    assert str(Count(9)) == "10未満" and Count(9).value == "10未満"
    assert str(Count(0)) == "10未満"
    assert str(Count(10)) == "10" and Count(1234).value == 1234 and str(Count(1234)) == "1,234"
    assert str(Share(9, 100)) == "—"
    assert str(Share(10, 9)) == "—"
    assert str(Share(10, 9, public_whole=True)) == "111.1%"
    assert str(Share(12, 40)) == "30.0%"
    assert str(Share(0, 0, pending=True)) == "未到来"


def _table(report, title):
    return next(t for t in report.tables if t.title == title)


def test_the_report_compares_with_last_year_in_sentences_a_council_answer_can_quote(town, now):
    BirthCount.objects.create(municipality=town, fiscal_year=2026, births=40)
    BirthCount.objects.create(municipality=town, fiscal_year=2025, births=1234)
    # This year: 12 born and registered (30.0% of 40); last year 9 (a small count).
    families(town, 12, registered=at(2026, 5, 1), due=D(2026, 6, 1), birth=D(2026, 6, 2))
    families(town, 9, registered=at(2025, 5, 1), due=D(2025, 6, 1), birth=D(2025, 6, 2))

    report = yearly_report(town, 2026, today=NOW.date(), now=NOW)

    assert report.title == "あおば市 令和8年度 事業報告"
    assert report.sentences[0] == (
        "令和8年度は出生数40人のうち30.0%（12人）のご家庭に登録いただきました。"
    )
    assert report.sentences[1] == (
        "令和8年度に新しく登録したご家庭は12世帯で、そのうち100.0%が妊娠中に登録しました"
        "（令和7年度は10未満）。"
    )
    coverage = _table(report, "出生数と登録")
    assert coverage.columns == ["", "令和8年度", "前年度（令和7年度）"]
    cells = {row.label: [str(c) for c in row.cells] for row in coverage.rows}
    assert cells["出生数（人口動態）"] == ["40人", "1,234人"]
    assert cells["年度内に生まれたお子さまのうち登録したご家庭"] == ["12", "10未満"]
    assert cells["出生数に対する登録の割合"] == ["30.0%", "—"]

    last_year = yearly_report(town, 2025, today=NOW.date(), now=NOW)
    assert (
        last_year.sentences[0]
        == "令和7年度は出生数1,234人のうち、登録いただいたご家庭は10未満でした。"
    )


def test_a_year_without_births_entered_says_so_and_nothing_is_divided_by_zero(town, now):
    report = yearly_report(town, 2026, today=NOW.date(), now=NOW)
    assert report.sentences == ["令和8年度の出生数はまだ入力されていません。"]
    cells = {row.label: [str(c) for c in row.cells] for row in report.tables[0].rows}
    assert cells["出生数（人口動態）"] == ["未入力", "未入力"]
    assert cells["出生数に対する登録の割合"] == ["—", "—"]


def test_sections_other_apps_register_appear_with_the_small_count_rule(town, now):
    register_section(
        ReportSection(
            key="test-followups",
            title="フォローアップ",
            build=lambda municipality_id, fy: SectionCounts(
                rows=[("開始したケース", 25 if fy == 2026 else 3), ("終了したケース", 4)],
                sentence=f"{fy}年度のケースを数えました。",
            ),
        )
    )
    try:
        report = yearly_report(town, 2026, today=NOW.date(), now=NOW)
    finally:
        del SECTIONS["test-followups"]
    table = _table(report, "フォローアップ")
    assert [[str(c) for c in row.cells] for row in table.rows] == [
        ["25", "10未満"],
        ["10未満", "10未満"],
    ]
    assert report.sentences[-1] == "2026年度のケースを数えました。"


def test_figures_take_a_fixed_number_of_queries_whatever_the_number_of_families(
    town, now, django_assert_max_num_queries
):
    families(town, 30, registered=at(2026, 5, 1), due=D(2026, 10, 1))
    with django_assert_max_num_queries(24):
        yearly_report(town, 2026, today=clock.today(), now=NOW)
