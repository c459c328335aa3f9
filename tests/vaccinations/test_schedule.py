"""The routine schedule against hand-checked cases (pure functions, no database).

Each expected date below was counted by hand on a calendar from the rule in
vaccinations/data/routine.toml, not computed with the code under test."""

from datetime import date

import pytest

from vaccinations import rules, schedule
from vaccinations.schedule import Given, Reminder, Status


def by_code(entries):
    return {entry.dose.code: entry for entry in entries}


def test_two_months_falls_back_to_the_month_end_and_a_leap_day():
    # Born Dec 31, 2025: 生後2か月 is Feb 28, 2026 (no Feb 29-31 in 2026).
    entries = by_code(schedule.child_schedule(date(2025, 12, 31)))
    assert entries["dtpipvhib-1"].earliest == date(2026, 2, 28)
    assert entries["pcv-1"].earliest == date(2026, 2, 28)
    # B型肝炎 may be given from birth; the standard time starts at 2 months.
    assert entries["hepb-1"].earliest == date(2025, 12, 31)
    assert entries["hepb-1"].recommended_from == date(2026, 2, 28)
    # 1歳に至るまで: the day before the first birthday.
    assert entries["hepb-1"].last_day == date(2026, 12, 30)
    # Born Dec 31, 2027: 2 months is Feb 29, 2028 (a leap year).
    leap = by_code(schedule.child_schedule(date(2027, 12, 31)))
    assert leap["dtpipvhib-1"].earliest == date(2028, 2, 29)


def test_a_child_born_on_feb_29_reaches_one_year_on_feb_28():
    entries = by_code(schedule.child_schedule(date(2028, 2, 29)))
    # 1歳 on Feb 28, 2029: MR 1期 opens that day; 2歳に至るまで ends Feb 27, 2030.
    assert entries["mr-1"].earliest == date(2029, 2, 28)
    assert entries["mr-1"].last_day == date(2030, 2, 27)
    assert entries["varicella-1"].earliest == date(2029, 2, 28)
    assert entries["hepb-1"].last_day == date(2029, 2, 27)


def test_rota_first_dose_by_14_weeks_6_days_and_the_products_last_days():
    born = date(2026, 1, 5)
    entries = by_code(schedule.child_schedule(born))
    # 生後6週0日 = Jan 5 + 42 days = Feb 16; 14週6日 = + 104 days = Apr 19.
    assert entries["rota1-1"].earliest == date(2026, 2, 16)
    assert entries["rota1-1"].last_day == date(2026, 4, 19)
    assert "rota5-1" not in entries  # one first dose for both products until one is recorded
    one = by_code(schedule.child_schedule(born, [Given("rota1-1", date(2026, 3, 5), "1価")]))
    # 1価 2回目: 27 days after Mar 5 = Apr 1; last day 24週0日 = + 168 days = Jun 22.
    assert one["rota1-2"].earliest == date(2026, 4, 1)
    assert one["rota1-2"].last_day == date(2026, 6, 22)
    assert "rota5-2" not in one
    five = by_code(schedule.child_schedule(born, [Given("rota5-1", date(2026, 3, 5), "5価")]))
    # 5価: three doses, the last by 32週0日 = + 224 days = Aug 17.
    assert five["rota5-3"].last_day == date(2026, 8, 17)
    assert "rota1-2" not in five


def test_a_dose_given_late_moves_the_next():
    born = date(2026, 4, 10)
    on_time = by_code(schedule.child_schedule(born, [Given("dtpipvhib-1", date(2026, 6, 10))]))
    assert on_time["dtpipvhib-2"].earliest == date(2026, 6, 30)  # 20 days after
    late = by_code(schedule.child_schedule(born, [Given("dtpipvhib-1", date(2026, 9, 1))]))
    assert late["dtpipvhib-2"].earliest == date(2026, 9, 21)
    # The third waits for the second.
    assert late["dtpipvhib-3"].earliest is None
    assert late["dtpipvhib-3"].status(date(2026, 9, 25)) == Status.WAITING
    # The booster: 6 months after the third, by month (Mar 31 + 6 months = Sep 30).
    given = [
        Given("dtpipvhib-1", date(2026, 6, 10)),
        Given("dtpipvhib-2", date(2026, 7, 10)),
        Given("dtpipvhib-3", date(2027, 3, 31)),
    ]
    assert by_code(schedule.child_schedule(born, given))["dtpipvhib-4"].earliest == date(
        2027, 9, 30
    )


def test_pneumococcal_booster_waits_for_both_the_first_birthday_and_60_days():
    born = date(2026, 1, 20)
    given = [
        Given("pcv-1", date(2026, 3, 20)),
        Given("pcv-2", date(2026, 4, 20)),
        Given("pcv-3", date(2026, 12, 10)),
    ]
    entries = by_code(schedule.child_schedule(born, given))
    # 1歳 on Jan 20, 2027, but 60 days after Dec 10 is Feb 8, 2027.
    assert entries["pcv-4"].earliest == date(2027, 2, 8)


def test_a_premature_baby_counts_from_the_birth_date():
    # Due Mar 1, 2026, born 8 weeks early on Jan 4: the routine schedule counts from Jan 4.
    entries = by_code(schedule.child_schedule(date(2026, 1, 4)))
    assert entries["dtpipvhib-1"].earliest == date(2026, 3, 4)
    assert entries["rota1-1"].earliest == date(2026, 2, 15)  # 42 days after Jan 4


def test_five_in_one_from_february_2024_births_and_four_in_one_with_hib_before():
    after = by_code(schedule.child_schedule(date(2024, 2, 1)))
    assert "dtpipvhib-1" in after and "dtpipv-1" not in after and "hib-1" not in after
    # 2 months is Apr 1, 2024, the first day 五種混合 was used.
    assert after["dtpipvhib-1"].earliest == date(2024, 4, 1)
    before = by_code(schedule.child_schedule(date(2024, 1, 31)))
    assert "dtpipv-1" in before and "hib-1" in before and "dtpipvhib-1" not in before


def test_pneumococcal_product_follows_the_course_started():
    # A course started on 15価 in May 2024 finishes on 15価, even after 20価 came in.
    given = [Given("pcv-1", date(2024, 5, 10), "15価"), Given("pcv-2", date(2024, 10, 20))]
    entries = by_code(schedule.child_schedule(date(2024, 3, 10), given))
    assert entries["pcv-3"].product == "15価"
    # A first dose recorded without a product takes the one in use on its day.
    given = [Given("pcv-1", date(2024, 3, 1))]
    assert by_code(schedule.child_schedule(date(2024, 1, 1), given))["pcv-2"].product == "13価"
    assert by_code(schedule.child_schedule(date(2026, 10, 1)))["pcv-1"].product == "20価"


def test_mr_second_dose_is_the_year_before_school_and_april_1_births_go_a_year_earlier():
    # Born Apr 2, 2021: school from Apr 1, 2028; MR 2期 Apr 1, 2027 – Mar 31, 2028.
    april_2 = by_code(schedule.child_schedule(date(2021, 4, 2)))["mr-2"]
    assert (april_2.earliest, april_2.last_day) == (date(2027, 4, 1), date(2028, 3, 31))
    # Born Apr 1, 2021: 早生まれ, school from Apr 1, 2027.
    april_1 = by_code(schedule.child_schedule(date(2021, 4, 1)))["mr-2"]
    assert (april_1.earliest, april_1.last_day) == (date(2026, 4, 1), date(2027, 3, 31))


def test_rsv_in_pregnancy_from_28_weeks_0_days_to_36_weeks_6_days():
    [rsv] = schedule.pregnancy_schedule(date(2027, 3, 1))
    # 28w0d = due − 84 days = Dec 7, 2026; 36w6d = due − 22 days = Feb 7, 2027.
    assert rsv.earliest == date(2026, 12, 7)
    assert rsv.last_day == date(2027, 2, 7)
    # Not routine before April 2026: a pregnancy whose window closed before then has none.
    assert schedule.pregnancy_schedule(date(2026, 3, 1)) == []
    # A window that straddles Apr 1, 2026 opens that day.
    [straddling] = schedule.pregnancy_schedule(date(2026, 5, 1))
    assert straddling.earliest == date(2026, 4, 1)


def test_optional_vaccines_only_where_switched_on():
    born = date(2026, 1, 15)
    assert "mumps-1" not in by_code(schedule.child_schedule(born))
    entries = by_code(schedule.child_schedule(born, optional=["mumps", "flu"]))
    assert entries["mumps-1"].earliest == date(2027, 1, 15)
    assert entries["mumps-1"].last_day is None  # 任意接種: no routine deadline
    assert entries["flu-1"].earliest == date(2026, 7, 15)


def test_statuses_in_plain_order():
    born = date(2026, 1, 5)
    entries = by_code(schedule.child_schedule(born, [Given("hepb-1", date(2026, 3, 5))]))
    today = date(2026, 5, 1)
    assert entries["hepb-1"].status(today) == Status.DONE
    assert entries["hepb-2"].status(today) == Status.OPEN
    assert entries["rota1-1"].status(today) == Status.OVERDUE  # 14週6日 was Apr 19
    assert entries["mr-1"].status(today) == Status.UPCOMING
    assert schedule.STATUS_JA[Status.OVERDUE] == "期限を過ぎています"


def test_reminder_ids_round_trip():
    for reminder in Reminder:
        day = date(2026, 12, 10)
        assert schedule.read_reminder_id(schedule.reminder_id(reminder, day)) == (reminder, day)


@pytest.mark.parametrize(
    "day", [date(2026, 2, 28), date(2028, 2, 29), date(2026, 3, 31), date(2026, 12, 3)]
)
def test_plan_candidates_find_every_child_the_schedule_reminds(day):
    """The planner's inversion against the schedule itself, over every birth date of 8 years."""
    anchors, _records = schedule.plan_candidates(Reminder.OPENS, day)
    born_anchors = [a for a in anchors if not a.pregnancy and a.after is None]
    found = set()
    for offset in range(0, 8 * 366):
        born = date.fromordinal(day.toordinal() - offset)
        for entry in schedule.child_schedule(born):
            if entry.dose.after is None and entry.recommended_from == day:
                found.add((born, entry.dose.code))
    planned = {
        (date.fromordinal(o), a.dose)
        for a in born_anchors
        for o in range(a.first.toordinal(), a.last.toordinal() + 1)
    }
    assert found and found <= planned


def test_rules_name_their_sources_and_facts():
    for vaccine in rules.all_rules().vaccines:
        assert vaccine.sources and vaccine.facts, vaccine.code
        assert len(vaccine.short) <= 8
    assert rules.routine().version == "2026-12"
